package hub

import (
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/nats-io/nats.go"

	"github.com/ipcbus/ipcbus/shared/wire"
)

// Values of hubRequest.remote.
const (
	remoteAny = 1 // sent on a channel's subject: any hub may answer, or none
	remoteOne = 2 // sent to one hub's peer: that hub's word is final
)

// fedMark records, before a local request is delivered, that other hubs
// may answer it, and reports whether they may. The router's read lock is
// held.
func (h *Hub) fedMark(r *hubRequest, channel string, to wire.Target) bool {
	f := h.fed
	if f == nil {
		return false
	}
	if _, ok := f.subject(channel, to); !ok {
		return false
	}
	kind, hub := uint8(remoteAny), uint32(0)
	if to.Peer != 0 {
		kind, hub = remoteOne, uint32(to.Peer>>32)
	}
	h.requests.mu.Lock()
	r.remote, r.fedHub = kind, hub
	h.requests.mu.Unlock()
	return true
}

// fedRequest publishes a local request to the other hubs, its answers to
// come on the hub's subject for request r. When no hub subscribes, NATS
// says so at once (no responders) and the request fails with no-listener
// unless a local peer got it.
func (h *Hub) fedRequest(r *hubRequest, fr *wire.Frame, sender []byte) {
	f := h.fed
	subject, _ := f.subject(fr.Channel, fr.To)
	m := &nats.Msg{
		Subject: subject,
		Reply:   f.self + ".r." + strconv.FormatUint(r.id, 10),
		Data:    appendFedMsg(make([]byte, 0, 32+len(fr.Channel)+len(sender)+len(fr.Body)), fedRequest, fr.To, fr.Channel, sender, fr.Body),
	}
	if err := f.nc.PublishMsg(m); err != nil {
		f.publishFailed("request", fr.Channel, err)
		if errors.Is(err, nats.ErrMaxPayload) {
			reason := wire.AppendStr(nil, fmt.Sprintf("request of %d bytes too large to cross hubs (NATS max_payload %d)", len(m.Data), f.nc.MaxPayload()))
			f.remoteDoneWith(r.id, wire.StatusRefused, reason)
			return
		}
		f.remoteDone(r.id, wire.StatusNoListener)
	}
}

// onAnswer settles request id with another hub's answer. A failure (its
// responders left or declined) is final when the request went to that hub
// alone, or when that hub was the last that said it delivered it.
func (f *federation) onAnswer(id uint64, m fedMsg) {
	if m.status != wire.StatusResolved && m.status != wire.StatusRejected {
		f.remoteFailed(id, m.hub, m.status, m.body)
		return
	}
	t := &f.h.requests
	t.mu.Lock()
	r := t.byID[id]
	if r != nil {
		if r.remote == remoteOne { // the one hub that held it answered
			r.remote = 0
		}
		t.removeLocked(r)
	}
	t.mu.Unlock()
	if r != nil {
		f.h.answer(r, m.status, m.sender, m.body)
	}
}

// remoteFailed handles hub's failure answer to request id (body: the
// reason of a refusal).
func (f *federation) remoteFailed(id uint64, hub uint32, status wire.Status, body []byte) {
	t := &f.h.requests
	t.mu.Lock()
	r := t.byID[id]
	if r == nil || !r.dropHolderLocked(hub) {
		t.mu.Unlock()
		return
	}
	t.removeLocked(r)
	t.mu.Unlock()
	f.h.answer(r, status, f.h.self, body)
}

// dropHolderLocked records that hub no longer holds r and reports whether
// r is then left with no one to answer it, to be failed. requests.mu is
// held.
func (r *hubRequest) dropHolderLocked(hub uint32) bool {
	switch r.remote {
	case remoteOne:
		if r.fedHub != hub {
			return false
		}
		r.remote = 0
	case remoteAny:
		i := slices.Index(r.fedHolders, hub)
		if i < 0 {
			return false
		}
		r.fedHolders = slices.Delete(r.fedHolders, i, i+1)
		if len(r.fedHolders) > 0 {
			return false
		}
	default:
		return false
	}
	return len(r.responders) == 0
}

// remoteDone records that no other hub will answer request id (NATS says
// no hub subscribes, or publishing failed) and fails it with status when
// no local responder is left either.
func (f *federation) remoteDone(id uint64, status wire.Status) {
	f.remoteDoneWith(id, status, nil)
}

// remoteDoneWith is remoteDone failing the request with reason as its body.
func (f *federation) remoteDoneWith(id uint64, status wire.Status, reason []byte) {
	t := &f.h.requests
	t.mu.Lock()
	r := t.byID[id]
	if r == nil || r.remote == 0 {
		t.mu.Unlock()
		return
	}
	r.remote = 0
	if len(r.responders) > 0 {
		t.mu.Unlock()
		return
	}
	t.removeLocked(r)
	t.mu.Unlock()
	f.h.answer(r, status, f.h.self, reason)
}

// deliverRequest delivers another hub's request to the local listeners,
// as a request of that hub's pseudo connection (origin) whose answer goes
// to reply. A request on a channel that reached a local listener is
// acknowledged, so that the origin knows this hub holds it.
func (f *federation) deliverRequest(m fedMsg, reply string) {
	h := f.h
	hub, originID, ok := f.parseReply(reply)
	if !ok {
		h.log.Debug("federation: request with a bad reply subject dropped", "reply", reply)
		return
	}
	c := f.origin(hub)
	if c == nil {
		reason := wire.AppendStr(nil, fmt.Sprintf("too many other hubs (limit %d)", maxOrigins))
		f.answer(reply, wire.StatusRefused, h.self, reason)
		return
	}
	var buf [8]delivery
	h.router.mu.RLock()
	r, ok := h.requests.add(c, originID, m.channel, h.cfg.MaxRequestsPerConn)
	var ds []delivery
	if ok {
		h.requests.mu.Lock()
		r.fedReply = reply
		h.requests.mu.Unlock()
		ds = h.router.match(m.channel, m.to, len(m.body), buf[:0], func(q *peer) { h.requests.addResponder(r, q) })
	}
	h.router.mu.RUnlock()
	if !ok {
		reason := wire.AppendStr(nil, fmt.Sprintf("too many requests from hub %d in flight (limit %d)", hub, h.cfg.MaxRequestsPerConn))
		f.answer(reply, wire.StatusRefused, h.self, reason)
		return
	}
	if len(ds) == 0 {
		if r := h.requests.settle(r.id); r != nil {
			h.answer(r, wire.StatusNoListener, h.self, nil)
		}
		return
	}
	if m.to.Peer == 0 {
		if err := f.nc.Publish(reply, appendFedAck(make([]byte, 0, 8), f.cfg.HubID)); err != nil {
			h.log.Debug("federation: ack publish failed", "err", err)
		}
	}
	h.deliver(ds, m.channel, r.id, m.sender, m.body, nil)
}

// answer sends an answer to another hub's request.
func (f *federation) answer(reply string, status wire.Status, sender, body []byte) {
	data := appendFedAnswer(make([]byte, 0, 16+len(sender)+len(body)), f.cfg.HubID, status, sender, body)
	err := f.nc.Publish(reply, data)
	if errors.Is(err, nats.ErrMaxPayload) { // the requester is told, not left waiting
		f.publishFailed("answer", "", err)
		reason := wire.AppendStr(nil, fmt.Sprintf("answer of %d bytes too large to cross hubs (NATS max_payload %d)", len(data), f.nc.MaxPayload()))
		data = appendFedAnswer(make([]byte, 0, 16+len(reason)), f.cfg.HubID, wire.StatusRefused, f.h.self, reason)
		err = f.nc.Publish(reply, data)
	}
	if err != nil {
		f.h.log.Debug("federation: answer publish failed", "err", err)
	}
}

// initFederation sets the federation up from the config (at New).
func (h *Hub) initFederation() {
	h.fed = newFederation(h, h.cfg.NATS)
	if h.fed != nil {
		h.router.onChannel = h.fed.interest
		h.requests.onFedRemove = h.fed.queueDone
	}
}

// startFederation joins NATS (at Listen). h.mu is held.
func (h *Hub) startFederation() error {
	if h.fed == nil {
		return nil
	}
	return h.fed.start()
}

// stopFederation leaves NATS (at Shutdown, once the connections closed,
// telling the other hubs with leave; and at Kill, telling no one).
func (h *Hub) stopFederation(leave bool) {
	if h.fed != nil {
		h.fed.stopOnce.Do(func() { h.fed.stop(leave) })
	}
}
