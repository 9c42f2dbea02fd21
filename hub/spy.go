package hub

import (
	"fmt"
	"path"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ipcbus/ipcbus/shared/wire"
)

// The hub's tap: peers that asked on wire.ChannelSpy get a SpyEvent for
// each thing the hub routes. While no spy is attached, h.spies.active is
// nil and the data path does nothing more than load it.

// spyQueueLen bounds the events waiting for a spy's goroutine; a spy that
// falls this far behind is closed as a slow consumer. Past the goroutine,
// the spy's connection queue bounds it as any connection's (MaxPendingBytes).
const spyQueueLen = 4096

// spies is the table of attached spies.
type spies struct {
	mu     sync.Mutex
	byPeer map[*peer]*spy
	active atomic.Pointer[[]*spy] // the spies, copied on write; nil when none
}

// spy is one attached spy: a peer, its filter and the queue its goroutine
// drains into the peer's connection.
type spy struct {
	p      *peer
	filter atomic.Pointer[spyFilter]
	events chan spyEvent
	done   chan struct{} // closed when the spy is removed
}

// spyEvent is an event on its way to a spy: the payload's head is copied
// on the data path and rendered by the spy's goroutine.
type spyEvent struct {
	ev      wire.SpyEvent
	payload []byte
}

// spyFilter is a wire.SpyFilter made ready to match.
type spyFilter struct {
	channels [][]string // patterns, split at "/"
	peers    map[string]struct{}
}

// tap returns the attached spies, or nil when there is none.
func (h *Hub) tap() []*spy {
	if l := h.spies.active.Load(); l != nil {
		return *l
	}
	return nil
}

// newSpyFilter checks f and prepares it.
func newSpyFilter(f wire.SpyFilter) (*spyFilter, error) {
	if len(f.Channels) > wire.MaxSpyPatterns || len(f.Peers) > wire.MaxSpyPeers {
		return nil, fmt.Errorf("spy filter over %d channel patterns or %d peers", wire.MaxSpyPatterns, wire.MaxSpyPeers)
	}
	sf := &spyFilter{}
	for _, p := range f.Channels {
		if !wire.ValidChannel(p) {
			return nil, fmt.Errorf("spy channel pattern %q is empty or over %d bytes", p, wire.MaxChannelBytes)
		}
		segs := strings.Split(p, "/")
		for _, s := range segs {
			if _, err := path.Match(s, ""); err != nil {
				return nil, fmt.Errorf("spy channel pattern %q: %v", p, err)
			}
		}
		sf.channels = append(sf.channels, segs)
	}
	if len(f.Peers) > 0 {
		sf.peers = make(map[string]struct{}, len(f.Peers))
		for _, p := range f.Peers {
			sf.peers[p] = struct{}{}
		}
	}
	return sf, nil
}

// matchChannel reports whether channel matches the pattern segs: "**"
// matches any number of segments, any other segment one segment as
// path.Match does ("*" for any run of characters). Greedy with one point
// of return, as wildcard matching goes: O(len(segs)·segments) at worst.
func matchChannel(segs []string, channel string) bool {
	parts := strings.Split(channel, "/")
	pi, ci := 0, 0
	star, starC := -1, 0
	for ci < len(parts) {
		switch {
		case pi < len(segs) && segs[pi] == "**":
			star, starC = pi, ci
			pi++
		case pi < len(segs) && segmentMatch(segs[pi], parts[ci]):
			pi++
			ci++
		case star >= 0:
			starC++
			pi, ci = star+1, starC
		default:
			return false
		}
	}
	for pi < len(segs) && segs[pi] == "**" {
		pi++
	}
	return pi == len(segs)
}

func segmentMatch(pattern, seg string) bool {
	if pattern == seg {
		return true
	}
	ok, _ := path.Match(pattern, seg)
	return ok
}

func (f *spyFilter) wants(ev *wire.SpyEvent) bool {
	if len(f.channels) > 0 && ev.Channel != "" {
		ok := false
		for _, segs := range f.channels {
			if matchChannel(segs, ev.Channel) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	if len(f.peers) == 0 {
		return true
	}
	if ev.From != nil && f.hasPeer(*ev.From) {
		return true
	}
	for _, p := range ev.To {
		if f.hasPeer(p) {
			return true
		}
	}
	return false
}

func (f *spyFilter) hasPeer(p wire.Peer) bool {
	if p.ID == 0 {
		return false
	}
	if _, ok := f.peers[p.Name]; ok {
		return true
	}
	_, ok := f.peers[strconv.FormatUint(p.ID, 10)]
	return ok
}

// emit gives ev to each spy of list that wants it, with the head of
// payload. A spy whose queue is full is dropped as a slow consumer.
func (h *Hub) emit(list []*spy, ev wire.SpyEvent, payload []byte) {
	ev.Time = time.Now()
	var head []byte
	copied := false
	for _, s := range list {
		if !s.filter.Load().wants(&ev) {
			continue
		}
		if !copied && len(payload) > 0 {
			// One byte more than a preview reads, so that it knows it was cut.
			head = append([]byte(nil), payload[:min(len(payload), wire.SpyPreviewBytes+1)]...)
			copied = true
		}
		select {
		case s.events <- spyEvent{ev: ev, payload: head}:
		default:
			h.dropSpy(s, fmt.Sprintf("spy over %d events behind", spyQueueLen))
		}
	}
}

// onSpyRequest attaches p as a spy with the filter in f's args (replacing
// the filter of a spy it is already), and answers true; or refuses.
func (c *conn) onSpyRequest(p *peer, f *wire.Frame) {
	h := c.h
	r := &hubRequest{requester: c, clientID: f.ID, channel: f.Channel}
	refuse := func(format string, args ...any) {
		h.answer(r, wire.StatusRefused, h.self, wire.AppendStr(nil, fmt.Sprintf(format, args...)))
	}
	var args []wire.SpyFilter
	if err := decodeArgs(f.Body, &args); err != nil || len(args) > 1 {
		refuse("a spy request takes one argument, a filter {channels, peers}")
		return
	}
	var wf wire.SpyFilter
	if len(args) == 1 {
		wf = args[0]
	}
	sf, err := newSpyFilter(wf)
	if err != nil {
		refuse("%v", err)
		return
	}
	h.router.mu.RLock()
	_, subscribed := p.subs[wire.ChannelSpy]
	h.router.mu.RUnlock()
	if !subscribed {
		refuse("a spy subscribes to %s before it asks", wire.ChannelSpy)
		return
	}
	// Attached before the answer: what the requester does once answered is seen.
	if !h.addSpy(p, sf) {
		refuse("the hub is shutting down")
		return
	}
	ok, _ := encode(true)
	h.answer(r, wire.StatusResolved, h.self, ok)
	h.log.Debug("spy attached", append(peerAttrs(p), "channels", wf.Channels, "peers", wf.Peers)...)
}

// addSpy attaches p with filter f, or sets the filter of its spy. It
// reports false when the hub is shutting down.
func (h *Hub) addSpy(p *peer, f *spyFilter) bool {
	h.spies.mu.Lock()
	if s := h.spies.byPeer[p]; s != nil {
		s.filter.Store(f)
		h.spies.mu.Unlock()
		return true
	}
	h.spies.mu.Unlock()
	// Only p's reader adds p as a spy: no other call races this one.
	s := &spy{p: p, events: make(chan spyEvent, spyQueueLen), done: make(chan struct{})}
	s.filter.Store(f)
	h.mu.Lock()
	started := h.goTrackedLocked(func() { h.runSpy(s) })
	h.mu.Unlock()
	if !started {
		return false
	}
	h.spies.mu.Lock()
	if h.spies.byPeer == nil {
		h.spies.byPeer = make(map[*peer]*spy)
	}
	h.spies.byPeer[p] = s
	h.publishSpiesLocked()
	h.spies.mu.Unlock()
	// p may have left meanwhile (its connection cut from another
	// goroutine), after removePeer looked for its spy.
	h.router.mu.RLock()
	gone := h.router.peers[p.info.ID] != p
	h.router.mu.RUnlock()
	if gone {
		h.removeSpy(p)
	}
	return true
}

// removeSpy detaches p, if it is a spy, and reports whether it was.
func (h *Hub) removeSpy(p *peer) bool {
	h.spies.mu.Lock()
	defer h.spies.mu.Unlock()
	s := h.spies.byPeer[p]
	if s == nil {
		return false
	}
	delete(h.spies.byPeer, p)
	close(s.done)
	h.publishSpiesLocked()
	return true
}

func (h *Hub) publishSpiesLocked() {
	if len(h.spies.byPeer) == 0 {
		h.spies.active.Store(nil)
		return
	}
	l := make([]*spy, 0, len(h.spies.byPeer))
	for _, s := range h.spies.byPeer {
		l = append(l, s)
	}
	h.spies.active.Store(&l)
}

// dropSpy detaches a spy that fell behind and closes its connection as a
// slow consumer.
func (h *Hub) dropSpy(s *spy, reason string) {
	if h.removeSpy(s.p) {
		h.stats.droppedSpies.Add(1)
		h.log.Warn("spy dropped", append(peerAttrs(s.p), "reason", reason)...)
		s.p.c.closeWith(wire.CloseSlowConsumer, reason)
	}
}

// runSpy renders and queues a spy's events on its connection until the
// spy is removed or the hub shuts down. It never waits for the connection
// to drain: one that does not is closed by its own bound.
func (h *Hub) runSpy(s *spy) {
	for {
		select {
		case e := <-s.events:
			e.ev.Preview = preview(e.payload)
			b, err := encode([]any{&e.ev})
			if err != nil {
				continue
			}
			s.p.c.enqueue(message(wire.ChannelSpy, s.p.info.ID, 0, s.p.c.h.self, nil, b))
		case <-s.done:
			return
		case <-h.quit:
			return
		}
	}
}
