package hub

import (
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/ipcbus/ipcbus/shared/wire"
)

// handle processes one frame from the client; an error closes the
// connection (a *wire.CloseError carries the code and reason to send).
func (c *conn) handle(f *wire.Frame) error {
	switch f.Kind {
	case wire.KindSend:
		return c.onSend(f)
	case wire.KindRequest:
		return c.onRequest(f)
	case wire.KindResponse:
		return c.onResponse(f)
	case wire.KindSubscribe, wire.KindUnsubscribe:
		return c.onSubscription(f)
	case wire.KindCancel:
		c.h.requests.cancel(c, f.ID)
	case wire.KindPeerAdd:
		return c.onPeerAdd(f)
	case wire.KindPeerRemove:
		p, err := c.ownPeer(f)
		if err != nil {
			return err
		}
		c.h.removePeer(p)
	case wire.KindPortMessage:
		return c.onPortMessage(f)
	case wire.KindPortClose:
		c.onPortClose(f)
	case wire.KindPing:
		pong, _ := wire.Append(nil, &wire.Frame{Kind: wire.KindPong, ID: f.ID})
		c.enqueue(wire.OutFrame{Head: pong})
	case wire.KindPong:
	case wire.KindClose:
		c.setReason(wire.CloseNormal, "closed by the client")
		return errClientClosed
	default:
		return fault(wire.CloseProtocolError, "unexpected %v from a client", f.Kind)
	}
	return nil
}

// ownPeer returns the peer f is sent as, which must belong to c.
func (c *conn) ownPeer(f *wire.Frame) (*peer, error) {
	c.h.router.mu.RLock() // a cut (cutConn) empties c.peers from another goroutine
	p := c.peers[f.Peer]
	c.h.router.mu.RUnlock()
	if p == nil {
		return nil, fault(wire.ClosePolicy, "%v as peer %d, which is not a peer of this connection", f.Kind, f.Peer)
	}
	return p, nil
}

func checkChannel(f *wire.Frame) error {
	if !wire.ValidChannel(f.Channel) {
		return fault(wire.ClosePolicy, "%v with an invalid channel name (empty or over %d bytes)", f.Kind, wire.MaxChannelBytes)
	}
	return nil
}

// checkArgs checks that a send or request carries an args array.
func checkArgs(f *wire.Frame) error {
	if len(f.Body) == 0 {
		return nil
	}
	if c := f.Body[0]; c&0xf0 != 0x90 && c != 0xdc && c != 0xdd {
		return fault(wire.CloseProtocolError, "%v args are not an array", f.Kind)
	}
	return nil
}

func (c *conn) onPeerAdd(f *wire.Frame) error {
	info, err := wire.DecodePeerInfo(f.Body)
	if err != nil {
		return fault(wire.CloseProtocolError, "bad peer.add: %v", err)
	}
	if len(info.Name) > wire.MaxNameBytes || !utf8.ValidString(info.Name) {
		return fault(wire.ClosePolicy, "peer name not UTF-8 or over %d bytes", wire.MaxNameBytes)
	}
	if c.h.router.peerCount(c) >= c.h.cfg.MaxPeersPerConn {
		reason := wire.AppendStr(nil, fmt.Sprintf("too many peers on one connection (limit %d)", c.h.cfg.MaxPeersPerConn))
		b, _ := wire.Append(nil, &wire.Frame{Kind: wire.KindPeerAdded, ID: f.ID, Code: 1, Body: reason})
		c.enqueue(wire.OutFrame{Head: b})
		return nil
	}
	if info.Process == (wire.Process{}) {
		info.Process = c.process
	}
	if c.credPID != 0 {
		info.Process.PID = c.credPID // a Unix peer's pid is the kernel's word
	}
	p := &peer{c: c, subs: make(map[string]struct{})}
	p.info = wire.Peer{ID: c.h.newPeerID(), Name: info.Name, Process: info.Process}
	p.raw = wire.AppendPeer(nil, p.info)
	c.h.router.addPeer(p)
	b, _ := wire.Append(nil, &wire.Frame{Kind: wire.KindPeerAdded, ID: f.ID, Peer: p.info.ID, Body: p.raw})
	c.enqueue(wire.OutFrame{Head: b})
	c.h.tapPeer(wire.SpyPeerJoin, p)
	c.h.log.Debug("peer joined", peerAttrs(p)...)
	return nil
}

// removePeer takes p off the bus and fails the requests only it could answer.
func (h *Hub) removePeer(p *peer) {
	h.router.removePeer(p)
	h.removeSpy(p)
	h.tapPeer(wire.SpyPeerLeave, p)
	h.log.Debug("peer left", peerAttrs(p)...)
	h.forgetPeerServices(p)
	for _, r := range h.requests.dropPeer(p) {
		h.answer(r, wire.StatusResponderGone, h.self, nil)
	}
}

// cutConn takes c off the bus while its close frame is on its way: its
// peers leave the router (and with them their services and the requests
// only they could answer), it leaves the state, and the router refuses the
// peers and subscriptions its reader may still handle.
func (h *Hub) cutConn(c *conn) {
	h.router.mu.Lock()
	c.cut = true
	c.cutPeers = peersLabelLocked(c)
	h.router.mu.Unlock()
	h.removeConnPeers(c)
}

// removeConnPeers removes every peer of c.
func (h *Hub) removeConnPeers(c *conn) {
	h.router.mu.RLock()
	peers := make([]*peer, 0, len(c.peers))
	for _, p := range c.peers {
		peers = append(peers, p)
	}
	h.router.mu.RUnlock()
	for _, p := range peers {
		h.removePeer(p)
	}
}

func (c *conn) onSubscription(f *wire.Frame) error {
	p, err := c.ownPeer(f)
	if err != nil {
		return err
	}
	if err := checkChannel(f); err != nil {
		return err
	}
	if f.Kind == wire.KindUnsubscribe {
		c.h.router.unsubscribe(p, f.Channel)
		if f.Channel == wire.ChannelSpy {
			c.h.removeSpy(p)
		}
		return nil
	}
	switch c.h.router.subscribe(p, f.Channel, c.h.cfg.MaxSubscriptionsPerConn, c.h.cfg.MaxSubscriptionsPerPeer) {
	case overConnLimit:
		return fault(wire.CloseLimit, "too many subscriptions on one connection (limit %d)", c.h.cfg.MaxSubscriptionsPerConn)
	case overPeerLimit:
		return fault(wire.CloseLimit, "too many subscriptions of one peer (limit %d)", c.h.cfg.MaxSubscriptionsPerPeer)
	}
	return nil
}

// message encodes the frame that delivers a send or request: once per
// message, whatever the number of subscribers. The payload is not copied:
// the frame is a header of its own followed by the bytes received.
func message(channel string, to, id uint64, sender []byte, ports []uint64, body []byte) wire.OutFrame {
	f := wire.Frame{Kind: wire.KindMessage, Channel: channel, To: wire.Target{Peer: to}, ID: id, Sender: sender, Ports: ports}
	b, _ := wire.AppendHeader(make([]byte, 0, 32+len(channel)+len(sender)), &f)
	if len(body) == 0 {
		body = []byte{0x90}
	}
	return wire.OutFrame{Head: b, Body: body}
}

func (c *conn) onSend(f *wire.Frame) error {
	p, err := c.ownPeer(f)
	if err != nil {
		return err
	}
	if err := checkChannel(f); err != nil {
		return err
	}
	if err := checkArgs(f); err != nil {
		return err
	}
	h := c.h
	h.stats.sends.Add(1)
	h.observeServiceEvent(p, f) // before delivery: proxies that hear it may ask the hub
	var buf [8]delivery
	var onPeer func(*peer)
	var reached []wire.Peer
	tapped := h.tap()
	if tapped != nil {
		onPeer = func(q *peer) { reached = append(reached, q.info) }
	}
	h.router.mu.RLock()
	ds := h.router.match(f.Channel, f.To, len(f.Body), buf[:0], onPeer)
	h.router.mu.RUnlock()
	if tapped != nil {
		h.tapMessage(tapped, wire.SpySend, p, reached, f.Channel, 0, f.Body)
	}
	if len(f.Ports) > 0 {
		return h.deliverWithPorts(c, ds, f, p.raw)
	}
	h.fedSend(f, p.raw) // other hubs' listeners
	h.deliver(ds, f.Channel, 0, p.raw, f.Body, c)
	return nil
}

// deliverWithPorts delivers a send that transfers ports. The ports go to one
// connection: the sender's own when it is among the receivers (its client
// hands the real ports over), else the first receiver, through relays.
// The other receivers, and other hubs', get the message without ports.
// When no local peer receives it, the ports are offered to the other hubs
// (federation_ports.go); ports that reach no one are closed.
func (h *Hub) deliverWithPorts(src *conn, ds []delivery, f *wire.Frame, sender []byte) error {
	for _, id := range f.Ports {
		if id&wire.PortRelayBit != 0 {
			return fault(wire.CloseProtocolError, "port id %#x has the relay bit set", id)
		}
	}
	if len(ds) == 0 {
		if h.fed.offerPorts(src, f, sender) {
			return nil
		}
		for _, id := range f.Ports {
			h.closePortEnd(portEnd{c: src, id: id})
		}
		h.fedSend(f, sender)
		return nil
	}
	h.fedSend(f, sender)
	owner := 0
	for i, d := range ds {
		if d.c == src {
			owner = i
			break
		}
	}
	ids := f.Ports
	if ds[owner].c != src {
		ids = h.bindPorts(src, ds[owner].c, f.Ports)
	}
	ds[owner].c.enqueue(message(f.Channel, ds[owner].to, 0, sender, ids, f.Body))
	rest := append(ds[:owner:owner], ds[owner+1:]...)
	h.deliver(rest, f.Channel, 0, sender, f.Body, src)
	return nil
}

// deliver sends one message to each delivery, encoding it once for all
// the deliveries that address every listener of their connection. Then,
// on the publisher's reader goroutine, it waits a bounded time for any
// receiver over its high-water mark (see stallWait). from is the
// connection whose frame is delivered, on its reader goroutine (nil:
// another hub's): body may be in its pooled buffer (inBuf), which each
// frame queued then holds a reference to.
func (h *Hub) deliver(ds []delivery, channel string, id uint64, sender, body []byte, from *conn) {
	ref := from.pooled()
	var shared wire.OutFrame
	var stalled [8]*conn // receivers over their high-water mark
	var stalls [8]chan struct{}
	n := 0
	for _, d := range ds {
		var ch chan struct{}
		if d.to == 0 {
			if shared.Head == nil {
				shared = message(channel, 0, id, sender, nil, body)
			}
			ch = d.c.enqueueFrom(withRef(shared, ref), from)
		} else {
			ch = d.c.enqueueFrom(withRef(message(channel, d.to, id, sender, nil, body), ref), from)
		}
		if ch != nil && n < len(stalls) {
			stalled[n], stalls[n] = d.c, ch
			n++
		}
	}
	if n > 0 {
		from.flushBurst()
	}
	for i := range n {
		stalled[i].waitDrained(stalls[i])
	}
}

func (c *conn) onRequest(f *wire.Frame) error {
	p, err := c.ownPeer(f)
	if err != nil {
		return err
	}
	if len(f.Ports) > 0 {
		return fault(wire.ClosePolicy, "ports cannot be transferred with a request")
	}
	if err := checkChannel(f); err != nil {
		return err
	}
	if err := checkArgs(f); err != nil {
		return err
	}
	h := c.h
	if f.Channel == wire.ChannelSpy {
		c.onSpyRequest(p, f)
		return nil
	}
	tapped := h.tap()
	if status, answer, ok := h.hubQuery(f); ok {
		r := &hubRequest{requester: c, clientID: f.ID, channel: f.Channel, start: time.Now()}
		if tapped != nil {
			r.spy = &spyStart{from: p.info}
			h.tapMessage(tapped, wire.SpyRequest, p, []wire.Peer{h.selfPeer()}, f.Channel, 0, f.Body)
		}
		if h.fed.askOthers(r, status, f) {
			return nil // answered once the other hubs have
		}
		h.answer(r, status, h.self, answer)
		return nil
	}
	var buf [8]delivery
	var reached []wire.Peer
	h.router.mu.RLock()
	r, ok := h.requests.add(c, f.ID, f.Channel, h.cfg.MaxRequestsPerConn)
	var ds []delivery
	remote := false
	if ok {
		remote = h.fedMark(r, f.Channel, f.To)
		onPeer := func(q *peer) { h.requests.addResponder(r, q) }
		if tapped != nil {
			r.spy = &spyStart{from: p.info}
			onPeer = func(q *peer) {
				h.requests.addResponder(r, q)
				reached = append(reached, q.info)
			}
		}
		ds = h.router.match(f.Channel, f.To, len(f.Body), buf[:0], onPeer)
	}
	h.router.mu.RUnlock()
	if ok && tapped != nil {
		h.tapMessage(tapped, wire.SpyRequest, p, reached, f.Channel, r.id, f.Body)
	}
	if !ok {
		reason := wire.AppendStr(nil, fmt.Sprintf("too many requests in flight on one connection (limit %d)", h.cfg.MaxRequestsPerConn))
		h.answer(&hubRequest{requester: c, clientID: f.ID, channel: f.Channel}, wire.StatusRefused, h.self, reason)
		return nil
	}
	if remote {
		h.fedRequest(r, f, p.raw)
	}
	if len(ds) == 0 && !remote {
		if r := h.requests.settle(r.id); r != nil {
			h.answer(r, wire.StatusNoListener, h.self, nil)
		}
		return nil
	}
	h.deliver(ds, f.Channel, r.id, p.raw, f.Body, c)
	return nil
}

func (c *conn) onResponse(f *wire.Frame) error {
	h := c.h
	if wire.Status(f.Code) == wire.StatusNoListener && f.Peer == 0 { // the connection declines
		r, issued := h.requests.decline(f.ID, c)
		if !issued {
			return fault(wire.CloseProtocolError, "response to request %d, which was never made", f.ID)
		}
		if r != nil {
			h.answer(r, wire.StatusNoListener, h.self, nil)
		}
		return nil
	}
	p, err := c.ownPeer(f)
	if err != nil {
		return err
	}
	if s := wire.Status(f.Code); s != wire.StatusResolved && s != wire.StatusRejected {
		return fault(wire.CloseProtocolError, "response with status %d", f.Code)
	}
	r, issued := h.requests.answeredBy(f.ID, p)
	if !issued {
		return fault(wire.CloseProtocolError, "response to request %d, which was never made", f.ID)
	}
	if r == nil { // settled already, or not this peer's to answer: dropped
		h.stats.droppedResponses.Add(1)
		return nil
	}
	h.answerFrom(r, wire.Status(f.Code), p.raw, f.Body, c)
	return nil
}
