package hub

import (
	"sync"

	"github.com/ipcbus/ipcbus/shared/wire"
)

// A relay joins two ends of a MessagePort that live on different
// connections. Each end names the port by its own id: the sender by the id
// it chose, the receiver by one the hub chose (with wire.PortRelayBit set).
type relay struct {
	ends [2]portEnd
}

type portEnd struct {
	c  *conn
	id uint64
}

// other returns the end of r that is not (c, id).
func (r *relay) other(c *conn, id uint64) portEnd {
	if r.ends[0].c == c && r.ends[0].id == id {
		return r.ends[1]
	}
	return r.ends[0]
}

// ports is the hub's table of relays; each connection indexes its ends.
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
			h.closePortEnd(portEnd{src, id})
			continue
		}
		h.ports.nextID++
		rid := wire.PortRelayBit | h.ports.nextID
		r := &relay{ends: [2]portEnd{{src, id}, {dst, rid}}}
		src.ports[id] = r
		dst.ports[rid] = r
		out = append(out, rid)
	}
	return out
}

// closePortEnd tells one end that its port is closed.
func (h *Hub) closePortEnd(e portEnd) {
	f, _ := wire.Append(nil, &wire.Frame{Kind: wire.KindPortClose, ID: e.id})
	e.c.enqueue(wire.OutFrame{Head: f})
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
	if r != nil {
		to = r.other(c, f.ID)
	}
	h.ports.mu.Unlock()
	if r == nil {
		h.stats.droppedPortMessages.Add(1)
		return nil
	}
	b, _ := wire.AppendHeader(make([]byte, 0, 16), &wire.Frame{Kind: wire.KindPortMessage, ID: to.id})
	body := f.Body
	if len(body) == 0 {
		body = []byte{0xc0}
	}
	if tapped := h.tap(); tapped != nil {
		h.tapPort(tapped, c, to.c, f.Body)
	}
	if ch := to.c.enqueue(wire.OutFrame{Head: b, Body: body}); ch != nil {
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
	delete(to.c.ports, to.id)
	h.ports.mu.Unlock()
	h.closePortEnd(to)
}

// dropPorts closes every relay c holds an end of, telling the other ends.
func (h *Hub) dropPorts(c *conn) {
	h.ports.mu.Lock()
	var others []portEnd
	for id, r := range c.ports {
		to := r.other(c, id)
		delete(to.c.ports, to.id)
		others = append(others, to)
	}
	c.ports = nil
	h.ports.mu.Unlock()
	for _, e := range others {
		h.closePortEnd(e)
	}
}
