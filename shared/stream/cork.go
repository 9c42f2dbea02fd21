//go:build !js

package stream

import (
	"net"
	"sync"
	"time"
)

// A CorkConn is a net.Conn whose writes can be held back and sent together:
// between Cork and Uncork what is written is gathered (up to corkMax bytes
// at a time) and Uncork writes it in one call. A WebSocket library flushes
// every message it writes; under a CorkConn a batch of messages costs one
// write. Outside Cork and Uncork writes go straight through. Write may be
// called from several goroutines (the WebSocket library serializes them);
// Cork and Uncork from one.
type CorkConn struct {
	net.Conn
	mu     sync.Mutex
	corked bool
	timed  bool    // Cork set a write deadline
	buf    *[]byte // gathered while corked; from corkBufs, returned by Uncork
	err    error   // a write that failed while corked, for Uncork to report
}

// corkMax bounds what a CorkConn gathers before it writes.
const corkMax = 64 << 10

var corkBufs = sync.Pool{New: func() any { b := make([]byte, 0, corkMax); return &b }}

// NewCorkConn wraps nc.
func NewCorkConn(nc net.Conn) *CorkConn { return &CorkConn{Conn: nc} }

// Cork starts holding writes back. timeout, when positive, bounds the
// writes until Uncork returns.
func (c *CorkConn) Cork(timeout time.Duration) {
	if timeout > 0 {
		c.Conn.SetWriteDeadline(time.Now().Add(timeout))
	}
	c.mu.Lock()
	c.corked, c.timed = true, timeout > 0
	c.mu.Unlock()
}

// Uncork writes what was gathered and lets later writes through. It
// returns the first error of a write since Cork.
func (c *CorkConn) Uncork() error {
	c.mu.Lock()
	c.corked = false
	timed := c.timed
	err := c.flushLocked()
	if c.err != nil {
		err, c.err = c.err, nil
	}
	if c.buf != nil {
		corkBufs.Put(c.buf)
		c.buf = nil
	}
	c.mu.Unlock()
	if timed {
		c.Conn.SetWriteDeadline(time.Time{})
	}
	return err
}

func (c *CorkConn) flushLocked() error {
	if c.buf == nil || len(*c.buf) == 0 {
		return nil
	}
	_, err := c.Conn.Write(*c.buf)
	*c.buf = (*c.buf)[:0]
	return err
}

// Write gathers p while corked, else writes it.
func (c *CorkConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.corked {
		return c.Conn.Write(p)
	}
	if c.err != nil {
		return 0, c.err
	}
	if c.buf == nil {
		c.buf = corkBufs.Get().(*[]byte)
	}
	if len(*c.buf)+len(p) > corkMax {
		if err := c.flushLocked(); err != nil {
			c.err = err
			return 0, err
		}
		if len(p) > corkMax/2 {
			n, err := c.Conn.Write(p)
			if err != nil {
				c.err = err
			}
			return n, err
		}
	}
	*c.buf = append(*c.buf, p...)
	return len(p), nil
}
