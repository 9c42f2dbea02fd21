package hub

import (
	"sync"

	"github.com/ipcbus/ipcbus/shared/wire"
)

// A relay joins two ends of a MessagePort that live on different
// connections, or on a connection of this hub and one of another
// (federation_ports.go). Each local end names the port by its
// connection's id: the sender by the id it chose, the receiver by one the
// hub chose (with wire.PortRelayBit set).
type relay struct {
	ends [2]portEnd
	// wait, while ends[1] cannot be reached yet (a port offered to other
	// hubs, or claimed from one and not yet handed over), holds what goes
	// to it, in order.
	wait *portWait
}

// portEnd is one end of a relay: a connection of this hub (c), or a
// connection of another hub (c nil), which the hubs name by key.
type portEnd struct {
	c   *conn
	id  uint64
	hub uint32 // a remote end's hub
	key xport  // a remote end's name, the same on both hubs
}

// other returns the end of r that is not (c, id).
func (r *relay) other(c *conn, id uint64) portEnd {
	if r.ends[0].c == c && r.ends[0].id == id {
		return r.ends[1]
	}
	return r.ends[0]
}

// local returns the end of r on this hub that is not remote; for a relay
// between two connections of this hub, ends[0].
func (r *relay) local() portEnd {
	if r.ends[0].c == nil {
		return r.ends[1]
	}
	return r.ends[0]
}

// ports is the hub's table of relays; each connection indexes its ends,
// the federation the ends shared with other hubs.
type ports struct {
	mu     sync.Mutex
	nextID uint64
}

// maxPortsPerConn bounds the relayed port ends one connection may hold;
// past it, new transfers to or from it are closed at once.
const maxPortsPerConn = 4096

// bind creates the relays for the ports src transfers to dst and returns
// the ids dst is to know them by. A port that cannot be bound (limits, an
// id already in use) is closed at once on src's side.
func (h *Hub) bindPorts(src, dst *conn, ids []uint64) []uint64 {
	h.ports.mu.Lock()
	defer h.ports.mu.Unlock()
	out := make([]uint64, 0, len(ids))
	for _, id := range ids {
		if _, taken := src.ports[id]; taken || len(src.ports) >= maxPortsPerConn || len(dst.ports) >= maxPortsPerConn {
			h.closePortEnd(portEnd{c: src, id: id})
			continue
		}
		rid := h.newRelayIDLocked()
		r := &relay{ends: [2]portEnd{{c: src, id: id}, {c: dst, id: rid}}}
		src.ports[id] = r
		dst.ports[rid] = r
		out = append(out, rid)
	}
	return out
}

// newRelayIDLocked returns a new id for a receiver's end. h.ports.mu is held.
func (h *Hub) newRelayIDLocked() uint64 {
	h.ports.nextID++
	return wire.PortRelayBit | h.ports.nextID
}

// closePortEnd tells one end that its port is closed: a local connection
// by a frame, another hub by a message.
func (h *Hub) closePortEnd(e portEnd) {
	if e.c == nil {
		h.fed.publishPort(e, fedPortClose, nil)
		return
	}
	f, _ := wire.Append(nil, &wire.Frame{Kind: wire.KindPortClose, ID: e.id})
	e.c.enqueue(wire.OutFrame{Head: f})
}

// forgetEndLocked removes e from its connection's or the federation's
// table. h.ports.mu is held.
func (h *Hub) forgetEndLocked(e portEnd) {
	switch {
	case e.c != nil:
		if e.c.ports != nil {
			delete(e.c.ports, e.id)
		}
	case h.fed != nil:
		delete(h.fed.remote, e.key)
	}
}

// portFrame is the frame that delivers a port message to local end id.
func portFrame(id uint64, body []byte) wire.OutFrame {
	b, _ := wire.AppendHeader(make([]byte, 0, 16), &wire.Frame{Kind: wire.KindPortMessage, ID: id})
	if len(body) == 0 {
		body = []byte{0xc0}
	}
	return wire.OutFrame{Head: b, Body: body}
}

// onPortMessage forwards a port message to the other end of its relay. A
// message for a port that is closed already is dropped: the other side
// learns of the close in order.
func (c *conn) onPortMessage(f *wire.Frame) error {
	if len(f.Ports) > 0 {
		return fault(wire.ClosePolicy, "ports cannot be transferred over a relayed port")
	}
	h := c.h
	h.ports.mu.Lock()
	r := c.ports[f.ID]
	var to portEnd
	waiting, kept := false, false
	if r != nil {
		to = r.other(c, f.ID)
		if waiting = r.wait != nil; waiting {
			kept = r.wait.add(append([]byte(nil), f.Body...), false)
		}
	}
	h.ports.mu.Unlock()
	if r == nil || (waiting && !kept) {
		h.stats.droppedPortMessages.Add(1)
		return nil
	}
	if tapped := h.tap(); tapped != nil {
		h.tapPort(tapped, c, to.c, f.Body)
	}
	if waiting {
		return nil
	}
	if to.c == nil {
		h.fed.publishPort(to, fedPortMessage, f.Body)
		return nil
	}
	if ch := to.c.enqueueFrom(portFrame(to.id, f.Body), c); ch != nil {
		c.flushBurst()
		to.c.waitDrained(ch)
	}
	return nil
}

// onPortClose removes the relay and tells the other end.
func (c *conn) onPortClose(f *wire.Frame) {
	h := c.h
	h.ports.mu.Lock()
	r := c.ports[f.ID]
	if r == nil {
		h.ports.mu.Unlock()
		return
	}
	to := r.other(c, f.ID)
	delete(c.ports, f.ID)
	tell := h.closeTowardLocked(r, to)
	h.ports.mu.Unlock()
	if tell {
		h.closePortEnd(to)
	}
}

// closeTowardLocked closes relay r toward its end e: it forgets e and
// reports that e is to be told (closePortEnd, once h.ports.mu is let go),
// or, while r waits for e to be reachable, queues the close for then and
// reports false. h.ports.mu is held.
func (h *Hub) closeTowardLocked(r *relay, e portEnd) bool {
	if r.wait != nil {
		r.wait.add(nil, true)
		return false
	}
	h.forgetEndLocked(e)
	return true
}

// dropPorts closes every relay c holds an end of, telling the other ends.
func (h *Hub) dropPorts(c *conn) {
	h.ports.mu.Lock()
	var others []portEnd
	for id, r := range c.ports {
		if r.wait != nil && r.ends[1].c == c { // claimed from another hub, not yet handed over
			r.wait.dropped = true
			continue
		}
		if to := r.other(c, id); h.closeTowardLocked(r, to) {
			others = append(others, to)
		}
	}
	c.ports = nil
	h.ports.mu.Unlock()
	for _, e := range others {
		h.closePortEnd(e)
	}
}
