package hub

import (
	"time"

	"github.com/ipcbus/ipcbus/shared/wire"
)

// The data path's hooks into the tap. Each is called only when tap()
// returned spies, never with a router or request lock held.

// tapMessage reports a send or request from p that reached to.
func (h *Hub) tapMessage(list []*spy, kind string, p *peer, to []wire.Peer, channel string, reqID uint64, body []byte) {
	from := p.info
	h.emit(list, wire.SpyEvent{Kind: kind, Channel: channel, From: &from, To: to, Size: len(body), Request: reqID}, body)
}

// spyStart records, on a request being made while spies are attached, who
// made it and when, for its response's event.
type spyStart struct {
	from wire.Peer
}

// tapResponse reports the outcome of request r, answered by sender.
func (h *Hub) tapResponse(list []*spy, r *hubRequest, status wire.Status, sender, body []byte) {
	if r.channel == wire.ChannelSpy {
		return // a spy's own attach
	}
	ev := wire.SpyEvent{Kind: wire.SpyResponse, Channel: r.channel, Size: len(body), Request: r.id, Status: statusName(status)}
	if p, err := wire.DecodePeer(sender); err == nil {
		ev.From = &p
	}
	if r.spy != nil {
		ev.To = []wire.Peer{r.spy.from}
	}
	if !r.start.IsZero() {
		ev.LatencyMS = float64(time.Since(r.start).Microseconds()) / 1000
	}
	h.emit(list, ev, body)
}

// tapPeer reports a peer joining or leaving.
func (h *Hub) tapPeer(kind string, p *peer) {
	if list := h.tap(); list != nil {
		from := p.info
		h.emit(list, wire.SpyEvent{Kind: kind, From: &from, Conn: p.c.id}, nil)
	}
}

// tapSlowConsumer reports c closed as a slow consumer, with its peers.
func (h *Hub) tapSlowConsumer(c *conn, reason string) {
	list := h.tap()
	if list == nil {
		return
	}
	h.router.mu.RLock()
	to := make([]wire.Peer, 0, len(c.peers))
	for _, p := range c.peers {
		to = append(to, p.info)
	}
	h.router.mu.RUnlock()
	h.emit(list, wire.SpyEvent{Kind: wire.SpySlowConsumer, To: to, Conn: c.id, Reason: reason}, nil)
}

// tapPort reports a message on a port relayed from c to dst.
func (h *Hub) tapPort(list []*spy, c, dst *conn, body []byte) {
	from := wire.Peer{Process: c.process}
	var to []wire.Peer
	if dst != nil { // nil: on another hub
		to = []wire.Peer{{Process: dst.process}}
	}
	h.emit(list, wire.SpyEvent{Kind: wire.SpyPortMessage, From: &from, To: to, Size: len(body), Conn: c.id}, body)
}

var statusNames = [...]string{
	wire.StatusResolved: "resolved", wire.StatusRejected: "rejected", wire.StatusNoListener: "no-listener",
	wire.StatusResponderGone: "responder-gone", wire.StatusRefused: "refused",
}

func statusName(s wire.Status) string {
	if int(s) < len(statusNames) {
		return statusNames[s]
	}
	return "unknown"
}

// selfPeer is the hub's own peer, as its answers name it.
func (h *Hub) selfPeer() wire.Peer {
	p, _ := wire.DecodePeer(h.self)
	return p
}
