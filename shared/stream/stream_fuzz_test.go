//go:build !js

package stream

import (
	"bytes"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/ipcbus/ipcbus/shared/wire"
)

// chunkConn is a net.Conn whose reads return the stream in chunks of the
// sizes given, as a socket may.
type chunkConn struct {
	net.Conn // nil: only Read is used
	data     []byte
	sizes    []byte
}

func (c *chunkConn) Read(p []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	n := len(p)
	if len(c.sizes) > 0 {
		n = min(n, int(c.sizes[0])+1)
		c.sizes = c.sizes[1:]
	}
	n = copy(p, c.data[:min(n, len(c.data))])
	c.data = c.data[n:]
	return n, nil
}

func (c *chunkConn) SetWriteDeadline(time.Time) error { return nil }

// FuzzReadFrame feeds a byte stream, cut into arbitrary reads, to the
// framing reader and checks that it never panics, never returns a frame
// over its limit, and reads the same frames as wire.ReadStreamFrame from
// the whole stream.
func FuzzReadFrame(f *testing.F) {
	frame := func(b []byte) []byte { return append(wire.AppendStreamHeader(nil, len(b)), b...) }
	f.Add(frame([]byte{0x99}), []byte{})
	f.Add(append(frame(bytes.Repeat([]byte{1}, 600)), frame(nil)...), []byte{0, 2, 255, 3})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 1}, []byte{})
	f.Add([]byte{0, 0, 1}, []byte{0})
	f.Add(append(frame([]byte("abc")), 0, 0, 0, 9, 1), []byte{1, 1, 1})
	const limit = 1 << 12
	f.Fuzz(func(t *testing.T, stream, sizes []byte) {
		c := New(&chunkConn{data: stream, sizes: sizes}, limit, 0)
		ref := bytes.NewReader(stream)
		for {
			got, err := c.ReadFrame()
			want, werr := wire.ReadStreamFrame(ref, nil, limit)
			if (err == nil) != (werr == nil) || !bytes.Equal(got, want) {
				t.Fatalf("ReadFrame: %x, %v; wire.ReadStreamFrame: %x, %v", got, err, want, werr)
			}
			if err != nil {
				if errors.Is(err, wire.ErrFrameTooLarge) != errors.Is(werr, wire.ErrFrameTooLarge) {
					t.Fatalf("ReadFrame: %v; wire.ReadStreamFrame: %v", err, werr)
				}
				return
			}
			if len(got) > limit {
				t.Fatalf("frame of %d bytes, over %d", len(got), limit)
			}
		}
	})
}
