package raw

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"sync"
)

// Buffer sizes of a connection's reader and writer.
const (
	ReadBufferSize  = 32 << 10
	WriteBufferSize = 64 << 10
)

// Conn reads and writes frames. ReadFrame is for one goroutine; writes
// are serialized by the connection's lock and buffered until Flush (or
// until the buffer fills).
type Conn struct {
	nc  net.Conn
	r   *bufio.Reader
	buf []byte

	wmu sync.Mutex
	w   *bufio.Writer
}

// NewConn wraps nc; the writer is allocated on first write.
func NewConn(nc net.Conn) *Conn {
	return &Conn{nc: nc, r: bufio.NewReaderSize(nc, ReadBufferSize)}
}

// ReadID reads the one byte a connection announces itself with.
func (c *Conn) ReadID() (int, error) {
	b, err := c.r.ReadByte()
	return int(b), err
}

// WriteID announces id; it is flushed at once.
func (c *Conn) WriteID(id int) error {
	_, err := c.nc.Write([]byte{byte(id)})
	return err
}

// ReadFrame returns the next frame body, valid until the next call.
func (c *Conn) ReadFrame() ([]byte, error) {
	var lb [4]byte
	if _, err := io.ReadFull(c.r, lb[:]); err != nil {
		return nil, err
	}
	n := int(binary.BigEndian.Uint32(lb[:]))
	if n > MaxFrame {
		return nil, fmt.Errorf("raw: frame of %d bytes over the limit", n)
	}
	if cap(c.buf) < n {
		c.buf = make([]byte, n)
	}
	b := c.buf[:n]
	if _, err := io.ReadFull(c.r, b); err != nil {
		return nil, err
	}
	return b, nil
}

// Buffered reports whether read data is waiting in the reader.
func (c *Conn) Buffered() bool { return c.r.Buffered() > 0 }

// WriteFrame queues one frame made of head and payload.
func (c *Conn) WriteFrame(head, payload []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.writeLocked(head, payload)
}

// WriteFrameFlush queues one frame and flushes.
func (c *Conn) WriteFrameFlush(head, payload []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if err := c.writeLocked(head, payload); err != nil {
		return err
	}
	return c.w.Flush()
}

func (c *Conn) writeLocked(head, payload []byte) error {
	if c.w == nil {
		c.w = bufio.NewWriterSize(c.nc, WriteBufferSize)
	}
	var lb [4]byte
	binary.BigEndian.PutUint32(lb[:], uint32(len(head)+len(payload)))
	c.w.Write(lb[:])
	c.w.Write(head)
	_, err := c.w.Write(payload)
	return err
}

// Flush writes what is buffered.
func (c *Conn) Flush() error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.w == nil {
		return nil
	}
	return c.w.Flush()
}

// Close closes the connection.
func (c *Conn) Close() error { return c.nc.Close() }
