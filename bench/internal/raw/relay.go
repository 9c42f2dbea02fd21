package raw

import (
	"net"
	"sync"
)

// Relay forwards each frame it reads to the connections its destination
// mask names: two hops, like any broker, with nothing else to do.
type Relay struct {
	mu   sync.RWMutex
	byID [MaxRoutedID + 1]*Conn
}

// Serve accepts connections on l until it is closed.
func (r *Relay) Serve(l net.Listener) error {
	for {
		nc, err := l.Accept()
		if err != nil {
			return err
		}
		go r.handle(NewConn(nc))
	}
}

func (r *Relay) handle(c *Conn) {
	defer c.Close()
	id, err := c.ReadID()
	if err != nil {
		return
	}
	if id <= MaxRoutedID {
		r.mu.Lock()
		r.byID[id] = c
		r.mu.Unlock()
		defer func() {
			r.mu.Lock()
			if r.byID[id] == c {
				r.byID[id] = nil
			}
			r.mu.Unlock()
		}()
	}
	var dirty [MaxRoutedID + 1]*Conn
	for {
		body, err := c.ReadFrame()
		if err != nil {
			return
		}
		mask := body[0]
		r.mu.RLock()
		for i := 0; mask != 0; i, mask = i+1, mask>>1 {
			if mask&1 == 0 || r.byID[i] == nil {
				continue
			}
			d := r.byID[i]
			d.WriteFrame(nil, body)
			dirty[i] = d
		}
		r.mu.RUnlock()
		// Flush once the input has nothing more for now: coalesces
		// writes under load, and costs nothing in latency.
		if !c.Buffered() {
			for i, d := range dirty {
				if d != nil {
					d.Flush()
					dirty[i] = nil
				}
			}
		}
	}
}
