package hub

import (
	"sync"
	"time"

	"github.com/ipcbus/ipcbus/shared/wire"
)

// hubRequest is a request on its way: who asked, and the peers that got it
// and may still answer.
type hubRequest struct {
	id         uint64
	requester  *conn
	clientID   uint64
	channel    string
	responders map[*peer]struct{}
	start      time.Time // when it was made, for its latency
	spy        *spyStart // set when spies were attached as it was made

	// Federation (federation_requests.go), guarded by requests.mu: remote
	// is set while another hub may still answer; fedReply is where the
	// answer goes when the request came from another hub; fedHub is the
	// hub a requestTo's target is on; fedHolders are the hubs that said
	// they delivered a request on a channel (federation_done.go).
	remote     uint8
	fedReply   string
	fedHub     uint32
	fedHolders []uint32
}

// requests is the table of requests in flight.
type requests struct {
	mu     sync.Mutex
	byID   map[uint64]*hubRequest
	lastID uint64
	// onFedRemove, when set, is told of each request removed while other
	// hubs may hold it (remote set), so that they drop it too.
	onFedRemove func(*hubRequest)
}

func (t *requests) init() { t.byID = make(map[uint64]*hubRequest) }

// add registers a request from c; it reports false when c is at its limit.
// It must be called while the router's read lock is held, so that no
// responder can leave between being chosen and being registered.
func (t *requests) add(c *conn, clientID uint64, channel string, limit int) (*hubRequest, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(c.asked) >= limit {
		return nil, false
	}
	if old, ok := c.asked[clientID]; ok { // a reused client id replaces the old request
		t.removeLocked(t.byID[old])
	}
	t.lastID++
	r := &hubRequest{id: t.lastID, requester: c, clientID: clientID, channel: channel, responders: make(map[*peer]struct{}, 1), start: time.Now()}
	t.byID[r.id] = r
	c.asked[clientID] = r.id
	return r, true
}

// addResponder records that p got request r. t.mu is not held by callers.
func (t *requests) addResponder(r *hubRequest, p *peer) {
	t.mu.Lock()
	defer t.mu.Unlock()
	r.responders[p] = struct{}{}
	if p.responding == nil {
		p.responding = make(map[uint64]*hubRequest)
	}
	p.responding[r.id] = r
}

func (t *requests) removeLocked(r *hubRequest) {
	if r == nil {
		return
	}
	delete(t.byID, r.id)
	delete(r.requester.asked, r.clientID)
	if r.remote != 0 && t.onFedRemove != nil {
		t.onFedRemove(r)
	}
	for p := range r.responders {
		delete(p.responding, r.id)
	}
}

// settle removes request id and returns it, or nil when it is not in flight.
func (t *requests) settle(id uint64) *hubRequest {
	t.mu.Lock()
	defer t.mu.Unlock()
	r := t.byID[id]
	t.removeLocked(r)
	return r
}

// answeredBy settles request id when p is one of its responders and
// returns it; it returns nil when the request is settled already or p did
// not get it. It also reports whether the id was ever issued.
func (t *requests) answeredBy(id uint64, p *peer) (*hubRequest, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	r := t.byID[id]
	if r == nil {
		return nil, id != 0 && id <= t.lastID
	}
	if _, ok := r.responders[p]; !ok {
		return nil, true
	}
	t.removeLocked(r)
	return r, true
}

// decline removes c's peers from the responders of request id; when none
// is left the request is removed and returned, to be failed.
func (t *requests) decline(id uint64, c *conn) (*hubRequest, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	r := t.byID[id]
	if r == nil {
		return nil, id != 0 && id <= t.lastID
	}
	for p := range r.responders {
		if p.c == c {
			delete(r.responders, p)
			delete(p.responding, r.id)
		}
	}
	if len(r.responders) > 0 || r.remote != 0 {
		return nil, true
	}
	t.removeLocked(r)
	return r, true
}

// cancel drops the request c made with clientID.
func (t *requests) cancel(c *conn, clientID uint64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if id, ok := c.asked[clientID]; ok {
		t.removeLocked(t.byID[id])
	}
}

// dropPeer removes p from the responders of its requests and returns those
// it was the last responder of, to be failed.
func (t *requests) dropPeer(p *peer) []*hubRequest {
	t.mu.Lock()
	defer t.mu.Unlock()
	var orphans []*hubRequest
	for _, r := range p.responding {
		delete(r.responders, p)
		if len(r.responders) == 0 && r.remote == 0 {
			t.removeLocked(r)
			orphans = append(orphans, r)
		}
	}
	p.responding = nil
	return orphans
}

// dropConn forgets the requests c made.
func (t *requests) dropConn(c *conn) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, id := range c.asked {
		t.removeLocked(t.byID[id])
	}
}

// answer sends the requester of r a response with status, the sender and body.
func (h *Hub) answer(r *hubRequest, status wire.Status, sender, body []byte) {
	h.answerFrom(r, status, sender, body, nil)
}

// answerFrom is answer on the reader goroutine of from, the connection
// that answered: body may be in its pooled buffer (inBuf), which the
// queued frame then holds a reference to.
func (h *Hub) answerFrom(r *hubRequest, status wire.Status, sender, body []byte, from *conn) {
	if r.fedReply != "" { // asked by another hub
		h.fed.answer(r.fedReply, status, sender, body)
		return
	}
	f := wire.Frame{Kind: wire.KindResponse, Channel: r.channel, ID: r.clientID, Code: uint16(status), Sender: sender}
	b, _ := wire.AppendHeader(make([]byte, 0, 64+len(sender)), &f)
	if len(body) == 0 {
		body = []byte{0xc0}
	}
	// The tap copies what its preview needs now: it keeps no part of body.
	if tapped := h.tap(); tapped != nil {
		h.tapResponse(tapped, r, status, sender, body)
	}
	h.countRequest(r, status)
	r.requester.enqueueFrom(withRef(wire.OutFrame{Head: b, Body: body}, from.pooled()), from)
}
