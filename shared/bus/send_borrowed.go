//go:build !js

package bus

import (
	"context"
	"fmt"

	"github.com/ipcbus/ipcbus/shared/wire"
)

// A send whose last argument is a large []byte writes it from the
// caller's memory, with no copy: Send returns once it is written (or the
// connection is lost), so that the caller may then reuse the memory, as
// with a copy. While the client is reconnecting it is copied into the
// buffer as any send is.

// borrowMin is the size from which a send's last []byte argument is
// written from the caller's memory.
const borrowMin = 64 << 10

// borrowable returns the last argument when it is a []byte of at least
// borrowMin bytes, or nil.
func borrowable(args []any) []byte {
	if len(args) == 0 {
		return nil
	}
	if b, ok := args[len(args)-1].([]byte); ok && len(b) >= borrowMin {
		return b
	}
	return nil
}

func (cl *Client) sendBorrowed(ctx context.Context, to Target, channel string, args []any, tail []byte) error {
	head, err := encodeArgs(nil, args[:len(args)-1])
	if err == nil {
		head = append(wire.AppendArrayLen(make([]byte, 0, len(head)+10), len(args)), head[arrayHeaderLen(len(args)-1):]...)
		head = wire.AppendBinHeader(head, len(tail))
	}
	var f wire.OutFrame
	if err == nil {
		f, err = cl.frameOf(wire.KindSend, to, channel, 0, nil, head, tail)
	}
	if err == nil {
		err = cl.conn.pushWritten(ctx, cl, f)
	}
	if err != nil {
		return fmt.Errorf("ipcbus: send on %q: %w", channel, err)
	}
	return nil
}

// arrayHeaderLen is the length of the msgpack header of an array of n.
func arrayHeaderLen(n int) int {
	return len(wire.AppendArrayLen(nil, n))
}

// pushWritten is pushFrom for a frame whose Tail is the caller's memory:
// connected, it returns once the frame is written (on the calling
// goroutine, after what was queued before it) or dropped with the
// session; reconnecting, it buffers a copy.
func (c *Conn) pushWritten(ctx context.Context, cl *Client, frame wire.OutFrame) error {
	c.mu.Lock()
	s := c.sess
	status := c.Status()
	cause := c.cause
	switch {
	case status == StatusClosed:
		c.mu.Unlock()
		return cause
	case status == StatusConnected:
		c.mu.Unlock()
		out := s.out
		if err := out.queue(ctx, frame, true); err != nil {
			return err
		}
		out.wmu.Lock() // the writer holds it while it writes a batch that may hold frame
		batch, n, _ := out.take(nil)
		c.write(s, batch, n)
		out.wmu.Unlock()
		return nil
	case status.outage():
		frame.Body = append(frame.Body[:len(frame.Body):len(frame.Body)], frame.Tail...)
		frame.Tail = nil
		err := c.buf.add(buffered{cl: cl, frame: frame}, true)
		c.mu.Unlock()
		return err
	}
	c.mu.Unlock()
	return ErrNotConnected
}
