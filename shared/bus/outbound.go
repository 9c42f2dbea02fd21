package bus

import (
	"context"
	"fmt"
	"sync"

	"github.com/ipcbus/ipcbus/shared/wire"
)

// outbound is the queue of frames waiting for the writer goroutine. Frames
// pushed with a limit wait while the queue holds max bytes; control frames
// and responses are pushed without one and never wait.
type outbound struct {
	wmu     sync.Mutex // held while writing to the transport
	mu      sync.Mutex
	frames  []wire.OutFrame
	bytes   int
	max     int
	closed  bool
	closing bool          // the writer exits once the queue is empty
	wake    chan struct{} // cap 1: tells the writer there is work
	room    chan struct{} // closed and replaced whenever bytes are released
}

func newOutbound(max int) *outbound {
	return &outbound{max: max, wake: make(chan struct{}, 1), room: make(chan struct{})}
}

func (o *outbound) signal() {
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

// push queues frame and wakes the writer. With limited set it waits for
// room while the queue is over its limit (a frame alone in the queue always
// fits), until ctx is done.
func (o *outbound) push(ctx context.Context, frame wire.OutFrame, limited bool) error {
	if err := o.queue(ctx, frame, limited); err != nil {
		return err
	}
	o.signal()
	return nil
}

// queue is push without waking the writer.
func (o *outbound) queue(ctx context.Context, frame wire.OutFrame, limited bool) error {
	o.mu.Lock()
	for {
		if o.closed || o.closing {
			o.mu.Unlock()
			return ErrClosed
		}
		if !limited || o.bytes == 0 || o.bytes+frame.Len() <= o.max {
			break
		}
		room := o.room
		queued := o.bytes
		o.mu.Unlock()
		if ctx.Err() != nil { // a caller that may not wait (client.wasm's sends)
			return fmt.Errorf("%w: %d bytes wait for the hub (the limit is %d)", ErrOutboundFull, queued, o.max)
		}
		select {
		case <-room:
		case <-ctx.Done():
			return fmt.Errorf("%w: %d bytes waited for the hub (the limit is %d): %w", ErrOutboundFull, queued, o.max, ctx.Err())
		}
		o.mu.Lock()
	}
	o.frames = append(o.frames, frame)
	o.bytes += frame.Len()
	o.mu.Unlock()
	return nil
}

// take returns everything queued, the byte count to release once written,
// and whether the writer should stop after writing it.
func (o *outbound) take(spare []wire.OutFrame) (batch []wire.OutFrame, n int, stop bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	batch, o.frames = o.frames, spare[:0]
	for _, f := range batch {
		n += f.Len()
	}
	return batch, n, o.closed || (o.closing && len(batch) == 0)
}

func (o *outbound) release(n int) {
	o.mu.Lock()
	o.bytes -= n
	close(o.room)
	o.room = make(chan struct{})
	o.mu.Unlock()
}

// finish lets the writer flush what is queued, then stop. last, if not nil,
// is queued first as the final frame.
func (o *outbound) finish(last []byte) {
	o.mu.Lock()
	if !o.closed && !o.closing {
		if last != nil {
			o.frames = append(o.frames, wire.OutFrame{Head: last})
		}
		o.closing = true
	}
	o.mu.Unlock()
	o.signal()
}

// close drops what is queued and stops the writer; waiting pushes fail.
func (o *outbound) close() {
	o.mu.Lock()
	if !o.closed {
		o.closed = true
		o.frames = nil
		close(o.room)
		o.room = make(chan struct{})
	}
	o.mu.Unlock()
	o.signal()
}

// joined returns f with its Tail (the caller's memory) copied into its
// Body, to be kept past the call, as the reconnect buffer does.
func joined(f wire.OutFrame) wire.OutFrame {
	if f.Tail != nil {
		f.Body = append(f.Body[:len(f.Body):len(f.Body)], f.Tail...)
		f.Tail = nil
	}
	return f
}
