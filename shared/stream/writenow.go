//go:build !js

package stream

import (
	"net"
	"time"

	"github.com/ipcbus/ipcbus/shared/wire"
)

// WriteNow writes f as WriteFrames would, but only what the socket takes
// at once, on the caller's goroutine: it never waits for room. ok false
// means nothing was written because it cannot be done here (no raw
// connection, not Linux, or the write deadline of the last WriteFrames has
// passed): f is then for WriteFrames. Otherwise err is a failed write, or
// rest what the socket did not take (none when f went whole), for
// WriteRest; f's memory must stay as it is until rest is written.
//
// WriteNow, WriteRest and WriteFrames are called from one goroutine at a
// time.
func (c *Conn) WriteNow(f wire.OutFrame) (rest net.Buffers, ok bool, err error) {
	if c.raw == nil {
		return nil, false, nil
	}
	n := f.Len()
	b := getChunk(chunkClass(4 + min(n, coalesceMax)))
	defer putChunk(b)
	head := wire.AppendStreamHeader((*b)[:0], n)
	pieces := [4][]byte{head, f.Head, f.Body, f.Tail}
	if n <= cap(head)-len(head) {
		// Small: one buffer, as WriteFrames copies small frames together.
		for _, p := range pieces[1:] {
			head = append(head, p...)
		}
		pieces = [4][]byte{head}
	} else if len(f.Head) <= cap(head)-len(head) {
		head = append(head, f.Head...)
		pieces[0], pieces[1] = head, nil
	}
	written, ok, err := writeNow(c.raw, pieces[:])
	if !ok || err != nil {
		return nil, ok, err
	}
	for i, p := range pieces {
		if written >= len(p) {
			written -= len(p)
			continue
		}
		p = p[written:]
		written = 0
		if i == 0 {
			p = append([]byte(nil), p...) // the chunk goes back to its pool
		}
		if len(p) > 0 {
			rest = append(rest, p)
		}
	}
	return rest, true, nil
}

// WriteRest writes what WriteNow left, waiting for room as WriteFrames
// does, within the write timeout.
func (c *Conn) WriteRest(rest net.Buffers) error {
	if c.writeTimeout > 0 {
		c.nc.SetWriteDeadline(time.Now().Add(c.writeTimeout))
	}
	_, err := rest.WriteTo(c.nc)
	return err
}
