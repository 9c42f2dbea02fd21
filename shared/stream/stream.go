//go:build !js

// Package stream carries ipcbus frames over a byte stream (a Unix socket or
// a TCP connection): each frame is preceded by its length as a 4-byte
// big-endian integer. The hub and the native client both use it.
package stream

import (
	"bufio"
	"net"
	"time"

	"github.com/ipcbus/ipcbus/shared/wire"
)

// readBufferSize is the read buffer of a connection; frames larger than it
// are read straight into the frame buffer.
const readBufferSize = 16 << 10

// keepBufferSize is the largest frame buffer kept between frames; a larger
// one, grown for a large frame, is dropped after use.
const keepBufferSize = 64 << 10

// Conn reads and writes whole frames on a net.Conn. ReadFrame and
// WriteFrames may be called concurrently with each other, each from one
// goroutine at a time.
type Conn struct {
	nc           net.Conn
	r            *bufio.Reader
	buf          []byte
	maxFrame     int
	writeTimeout time.Duration
	heads        []byte
	bufs         net.Buffers
}

// New wraps nc. maxFrame bounds the frames read; writeTimeout, when
// positive, bounds each WriteFrames call.
func New(nc net.Conn, maxFrame int, writeTimeout time.Duration) *Conn {
	return &Conn{nc: nc, r: bufio.NewReaderSize(nc, readBufferSize), maxFrame: maxFrame, writeTimeout: writeTimeout}
}

// SetMaxFrame changes the largest frame ReadFrame accepts.
func (c *Conn) SetMaxFrame(n int) { c.maxFrame = n }

// ReadFrame returns the next frame, valid until the next call. A frame over
// the limit returns an error wrapping wire.ErrFrameTooLarge.
func (c *Conn) ReadFrame() ([]byte, error) {
	if cap(c.buf) > keepBufferSize {
		c.buf = nil
	}
	b, err := wire.ReadStreamFrame(c.r, c.buf, c.maxFrame)
	if err != nil {
		return nil, err
	}
	c.buf = b[:0]
	return b, nil
}

// WriteFrames writes the frames with one writev where the platform has it.
func (c *Conn) WriteFrames(frames [][]byte) error {
	if c.writeTimeout > 0 {
		c.nc.SetWriteDeadline(time.Now().Add(c.writeTimeout))
	}
	heads := c.heads[:0]
	for _, f := range frames {
		heads = wire.AppendStreamHeader(heads, len(f))
	}
	bufs := c.bufs[:0]
	for i, f := range frames {
		bufs = append(bufs, heads[4*i:4*i+4:4*i+4], f)
	}
	c.heads, c.bufs = heads, bufs
	_, err := bufs.WriteTo(c.nc)
	clear(c.bufs[:cap(c.bufs)])
	return err
}

// Close closes the connection.
func (c *Conn) Close() error { return c.nc.Close() }

// NetConn returns the wrapped connection.
func (c *Conn) NetConn() net.Conn { return c.nc }
