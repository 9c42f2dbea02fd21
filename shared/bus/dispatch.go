package bus

import (
	"sync"
)

// delivery is one message waiting for its listeners.
type delivery struct {
	kind    deliveryKind
	channel string
	sender  Peer
	to      uint64
	reqID   uint64 // hub request id, 0 for a send
	ports   []uint64
	args    []byte    // the args array, or a port message
	mem     *frameMem // args' pooled memory, given back once delivered; nil: none
	portID  uint64    // a relayed port, for port deliveries from the hub
	port    *Port     // a port of this process, for local port deliveries
	sess    *session  // the session a message came on (its requests are that hub's)
	fn      func()    // deliverFunc
}

type deliveryKind uint8

const (
	deliverMessage     deliveryKind = iota // a send or request
	deliverPortMessage                     // a message for a port
	deliverPortClosed                      // a port's other end closed
	deliverPortFlush                       // a port got its handler: run its backlog
	deliverFunc                            // a status change or a hook: never dropped
)

// dispatcher runs deliveries in order on one goroutine. Its queue is bounded
// in count and bytes; the reader never waits for it.
type dispatcher struct {
	mu       sync.Mutex
	queue    []delivery
	bytes    int
	maxCount int
	maxBytes int
	wake     chan struct{}
	closed   bool
	dropped  uint64
	episode  bool // a drop happened that is not yet reported
}

func newDispatcher(maxCount, maxBytes int) *dispatcher {
	return &dispatcher{maxCount: maxCount, maxBytes: maxBytes, wake: make(chan struct{}, 1)}
}

// push queues d; it reports false (and counts a drop) when the queue is full.
func (q *dispatcher) push(d delivery) bool {
	q.mu.Lock()
	ok := q.pushLocked(d)
	q.mu.Unlock()
	q.signal()
	return ok
}

// pushAll queues ds, in order, under one lock, and returns the hub ids of
// the requests among them that were dropped.
func (q *dispatcher) pushAll(ds []delivery) (droppedRequests []uint64) {
	q.mu.Lock()
	for i := range ds {
		if !q.pushLocked(ds[i]) && ds[i].reqID != 0 {
			droppedRequests = append(droppedRequests, ds[i].reqID)
		}
	}
	q.mu.Unlock()
	q.signal()
	return droppedRequests
}

func (q *dispatcher) pushLocked(d delivery) bool {
	if q.closed {
		return false
	}
	if d.kind != deliverFunc && (len(q.queue) >= q.maxCount || (len(q.queue) > 0 && q.bytes+len(d.args) > q.maxBytes)) {
		q.dropped++
		q.episode = true
		return false
	}
	q.queue = append(q.queue, d)
	q.bytes += len(d.args)
	return true
}

func (q *dispatcher) signal() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// close stops the dispatcher once what is queued has run.
func (q *dispatcher) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	q.signal()
}

// run calls deliver for each queued delivery and report for each drop
// episode, until closed and drained.
func (q *dispatcher) run(deliver func(*delivery), report func(dropped uint64)) {
	var batch []delivery
	for range q.wake {
		for {
			q.mu.Lock()
			batch, q.queue = q.queue, batch[:0]
			q.bytes = 0
			episode, dropped, closed := q.episode, q.dropped, q.closed
			q.episode = false
			q.mu.Unlock()
			if episode {
				report(dropped)
			}
			for i := range batch {
				deliver(&batch[i])
				batch[i] = delivery{}
			}
			if len(batch) == 0 {
				if closed {
					return
				}
				break
			}
		}
	}
}

// Dropped returns how many events were dropped because the queue was full.
func (q *dispatcher) droppedCount() uint64 {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.dropped
}
