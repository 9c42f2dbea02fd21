package hub

import (
	"sync"
	"sync/atomic"

	"github.com/ipcbus/ipcbus/shared/wire"
)

// peer is a peer as the hub knows it.
type peer struct {
	info wire.Peer
	raw  []byte // info, encoded once, sent as the sender of its messages
	c    *conn
	subs map[string]struct{} // guarded by router.mu

	responding map[uint64]*hubRequest // requests it got and may answer; guarded by requests.mu
}

// route is the subscribers of one channel, grouped by connection so that a
// broadcast sends one frame per connection however many of its peers listen.
type route struct {
	conns []*connSubs
	index map[*conn]int // position in conns

	// Traffic routed on the channel while it had subscribers, for state:
	// messages (sends and requests) and their payload bytes.
	messages, bytes atomic.Uint64
}

type connSubs struct {
	c     *conn
	peers []*peer
}

// router maps channels to subscribers and peer ids to peers.
type router struct {
	mu       sync.RWMutex
	channels map[string]*route
	peers    map[uint64]*peer

	onChannel func(channel string, listened bool) // first listener came, last one left (federation)
}

func (r *router) init() {
	r.channels = make(map[string]*route)
	r.peers = make(map[uint64]*peer)
}

// Results of subscribe.
const (
	subscribed = iota
	overConnLimit
	overPeerLimit
)

// subscribe adds p to channel, unless p's connection is at connLimit
// subscriptions or p at peerLimit. Subscribing twice is one subscription.
func (r *router) subscribe(p *peer, channel string, connLimit, peerLimit int) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := p.subs[channel]; ok || p.c.cut {
		return subscribed
	}
	if p.c.subCount >= connLimit {
		return overConnLimit
	}
	if len(p.subs) >= peerLimit {
		return overPeerLimit
	}
	rt := r.channels[channel]
	if rt == nil {
		rt = &route{index: make(map[*conn]int)}
		r.channels[channel] = rt
		if r.onChannel != nil {
			r.onChannel(channel, true)
		}
	}
	i, ok := rt.index[p.c]
	if !ok {
		i = len(rt.conns)
		rt.index[p.c] = i
		rt.conns = append(rt.conns, &connSubs{c: p.c})
	}
	cs := rt.conns[i]
	cs.peers = append(cs.peers, p)
	p.subs[channel] = struct{}{}
	p.c.subCount++
	return subscribed
}

func (r *router) unsubscribe(p *peer, channel string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.unsubscribeLocked(p, channel)
}

func (r *router) unsubscribeLocked(p *peer, channel string) {
	if _, ok := p.subs[channel]; !ok {
		return
	}
	delete(p.subs, channel)
	p.c.subCount--
	rt := r.channels[channel]
	i := rt.index[p.c]
	cs := rt.conns[i]
	for j, q := range cs.peers {
		if q == p {
			cs.peers = append(cs.peers[:j], cs.peers[j+1:]...)
			break
		}
	}
	if len(cs.peers) > 0 {
		return
	}
	last := len(rt.conns) - 1
	rt.conns[i] = rt.conns[last]
	rt.index[rt.conns[i].c] = i
	rt.conns[last] = nil
	rt.conns = rt.conns[:last]
	delete(rt.index, p.c)
	if len(rt.conns) == 0 {
		delete(r.channels, channel)
		if r.onChannel != nil {
			r.onChannel(channel, false)
		}
	}
}

// addPeer adds p, unless its connection was cut.
func (r *router) addPeer(p *peer) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if p.c.cut {
		return
	}
	r.peers[p.info.ID] = p
	p.c.peers[p.info.ID] = p
}

// peerCount returns the number of peers of c.
func (r *router) peerCount(c *conn) int {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return len(c.peers)
}

// removePeer unsubscribes p from everything and forgets it.
func (r *router) removePeer(p *peer) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for ch := range p.subs {
		r.unsubscribeLocked(p, ch)
	}
	delete(r.peers, p.info.ID)
	delete(p.c.peers, p.info.ID)
}

// delivery is one frame for one connection.
type delivery struct {
	c  *conn
	to uint64 // 0: every listening peer of c
}

// match appends the deliveries for a message of size payload bytes on
// channel to target, and calls onPeer for each peer it reaches; it counts
// the message in the channel's traffic. r.mu must be held.
func (r *router) match(channel string, to wire.Target, size int, out []delivery, onPeer func(*peer)) []delivery {
	rt := r.channels[channel]
	if rt == nil {
		return out
	}
	rt.messages.Add(1)
	rt.bytes.Add(uint64(size))
	switch {
	case to.Peer != 0:
		p := r.peers[to.Peer]
		if p == nil {
			return out
		}
		if _, ok := p.subs[channel]; ok {
			out = append(out, delivery{c: p.c, to: p.info.ID})
			if onPeer != nil {
				onPeer(p)
			}
		}
	case to.Process != nil:
		for _, cs := range rt.conns {
			for _, p := range cs.peers {
				if p.info.Process.Matches(*to.Process) {
					out = append(out, delivery{c: cs.c, to: p.info.ID})
					if onPeer != nil {
						onPeer(p)
					}
				}
			}
		}
	default:
		for _, cs := range rt.conns {
			out = append(out, delivery{c: cs.c})
			if onPeer != nil {
				for _, p := range cs.peers {
					onPeer(p)
				}
			}
		}
	}
	return out
}
