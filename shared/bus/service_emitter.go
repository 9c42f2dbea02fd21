//go:build !js

package bus

import "sync"

// EventEmitter holds listeners by event name with the semantics of Node's
// EventEmitter, as a Client's listeners on channels: order, prepend, once
// removal before the call, removal during an emit. A ServiceProxy is one,
// and so is its Wrapper. The Event a listener gets names the event in
// Channel and carries the emitter's arguments. The zero value is ready.
type EventEmitter struct {
	em emitter
}

// On adds a listener for event after the others.
func (e *EventEmitter) On(event string, fn Listener) ListenerID { return e.em.add(event, fn, nil) }

// AddListener adds a listener for event; with no option it is On.
func (e *EventEmitter) AddListener(event string, fn Listener, opts ...ListenOption) ListenerID {
	return e.em.add(event, fn, opts)
}

// Once adds a listener removed before its first call.
func (e *EventEmitter) Once(event string, fn Listener) ListenerID {
	return e.em.add(event, fn, []ListenOption{Once()})
}

// PrependListener adds a listener before the others.
func (e *EventEmitter) PrependListener(event string, fn Listener) ListenerID {
	return e.em.add(event, fn, []ListenOption{Prepend()})
}

// PrependOnceListener adds a once listener before the others.
func (e *EventEmitter) PrependOnceListener(event string, fn Listener) ListenerID {
	return e.em.add(event, fn, []ListenOption{Prepend(), Once()})
}

// Off removes one registration; it reports whether it was there.
func (e *EventEmitter) Off(event string, id ListenerID) bool { return e.em.remove(event, id) }

// RemoveListener is Off.
func (e *EventEmitter) RemoveListener(event string, id ListenerID) bool {
	return e.em.remove(event, id)
}

// RemoveAllListeners removes every listener of the events given, or of
// every event when none is given.
func (e *EventEmitter) RemoveAllListeners(events ...string) {
	if len(events) == 0 {
		e.em.removeAll("", true)
	}
	for _, ev := range events {
		e.em.removeAll(ev, false)
	}
}

// ListenerCount returns how many listeners event has.
func (e *EventEmitter) ListenerCount(event string) int { return e.em.count(event) }

// Listeners describes the registrations of event, in calling order.
func (e *EventEmitter) Listeners(event string) []ListenerInfo { return e.em.infos(event) }

// EventNames returns the events that have listeners.
func (e *EventEmitter) EventNames() []string { return e.em.channels() }

// emit calls the listeners of ev.Channel; a panicking listener is
// recovered and reported to onError, and the others still run.
func (e *EventEmitter) emit(ev *Event, onError func(error)) {
	for _, l := range e.em.snapshot(ev.Channel) {
		callListener(l, ev, onError)
	}
}

func callListener(l *listener, ev *Event, onError func(error)) {
	defer func() {
		if v := recover(); v != nil {
			onError(&PanicError{Channel: ev.Channel, Value: v})
		}
	}()
	l.fn(ev)
}

// serialRunner runs callbacks one at a time, in the order queued, without
// a goroutine of its own: drain makes its caller the runner unless one
// runs already, so a callback that queues another (a listener that closes
// its proxy) never deadlocks. push may be called under other locks; drain
// must not. The queue is bounded; past the bound push refuses.
type serialRunner struct {
	mu      sync.Mutex
	running bool
	queue   []func()
	max     int
}

// push queues fn; it reports false when the queue is full.
func (r *serialRunner) push(fn func()) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.queue) >= r.max {
		return false
	}
	r.queue = append(r.queue, fn)
	return true
}

// drain runs the queued callbacks on this goroutine, unless another
// goroutine is running them already (it will run those queued now too).
func (r *serialRunner) drain() {
	r.mu.Lock()
	if r.running {
		r.mu.Unlock()
		return
	}
	r.running = true
	for len(r.queue) > 0 {
		next := r.queue[0]
		r.queue[0] = nil
		r.queue = r.queue[1:]
		r.mu.Unlock()
		next()
		r.mu.Lock()
	}
	r.queue = nil
	r.running = false
	r.mu.Unlock()
}
