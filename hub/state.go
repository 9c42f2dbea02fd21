package hub

import (
	"fmt"
	"sort"
	"time"

	"github.com/ipcbus/ipcbus/shared/wire"
)

// State is a snapshot of the hub: its connections with their peers and
// subscriptions, and every channel with its number of subscribed peers.
type State struct {
	Hub string `json:"hub" msgpack:"hub"`
	// HubID is the hub's id in its federation; 0 when it does not
	// federate.
	HubID uint32 `json:"hubId,omitempty" msgpack:"hubId,omitempty"`
	// Listeners are the hub's listeners by kind ("unix", "tcp", "ws") with
	// the address a client dials, without the token: "unix:/path",
	// "tcp:127.0.0.1:50494", "ws://127.0.0.1:50495/ws". An IpcBusBridge in
	// another process hands the "ws" one to its renderers.
	Listeners   map[string]string `json:"listeners" msgpack:"listeners"`
	Connections []ConnectionState `json:"connections" msgpack:"connections"`
	Channels    []ChannelState    `json:"channels" msgpack:"channels"`
	// Hubs are the other hubs of the federation, in hub id order, as
	// they answered a queryState (Hub.State leaves it empty): each that
	// answered within half a second.
	Hubs []State `json:"hubs,omitempty" msgpack:"hubs,omitempty"`
	// Truncated is set on a federated hub's state too large for a NATS
	// message: only its name, id and listeners are told.
	Truncated bool `json:"truncated,omitempty" msgpack:"truncated,omitempty"`
}

// ConnectionState is one connection in a State.
type ConnectionState struct {
	ID        uint64       `json:"id" msgpack:"id"`
	Transport string       `json:"transport" msgpack:"transport"` // "unix", "tcp" or "ws"
	Remote    string       `json:"remote" msgpack:"remote"`
	Process   wire.Process `json:"process" msgpack:"process"`
	Since     time.Time    `json:"since" msgpack:"since"`
	Peers     []PeerState  `json:"peers" msgpack:"peers"`
	Traffic   Traffic      `json:"traffic" msgpack:"traffic"` // since it opened
}

// PeerState is one peer in a State, with the channels it listens to.
type PeerState struct {
	wire.Peer     `msgpack:",inline"`
	Subscriptions []string `json:"subscriptions" msgpack:"subscriptions"`
	Spy           bool     `json:"spy,omitempty" msgpack:"spy,omitempty"` // attached as a spy (see Client.Spy)
}

// ChannelState is one channel in a State.
type ChannelState struct {
	Channel string `json:"channel" msgpack:"channel"`
	Peers   int    `json:"peers" msgpack:"peers"` // subscribed peers
	// Messages (sends and requests) routed on the channel and their
	// payload bytes, counted while it had subscribers: a channel that
	// loses its last one starts again from zero.
	Messages uint64 `json:"messages" msgpack:"messages"`
	Bytes    uint64 `json:"bytes" msgpack:"bytes"`
}

// State returns a snapshot of the hub, sorted by id and channel name.
func (h *Hub) State() State {
	s := State{Hub: h.cfg.Name, HubID: h.HubID(), Listeners: map[string]string{}, Connections: []ConnectionState{}, Channels: []ChannelState{}}
	h.mu.Lock()
	for kind := range h.listeners {
		s.Listeners[kind] = h.addrLocked(kind)
		if kind == "ws" {
			s.Listeners[kind] = wsURLOf(s.Listeners[kind])
		}
	}
	conns := make([]*conn, 0, len(h.conns))
	for c := range h.conns {
		conns = append(conns, c)
	}
	h.mu.Unlock()
	sort.Slice(conns, func(i, j int) bool { return conns[i].id < conns[j].id })
	spying := make(map[*peer]bool)
	for _, sp := range h.tap() {
		spying[sp.p] = true
	}

	h.router.mu.RLock()
	defer h.router.mu.RUnlock()
	for _, c := range conns {
		if len(c.peers) == 0 && c.process == (wire.Process{}) || c.cut {
			continue // still in its handshake, or cut and closing
		}
		cs := ConnectionState{ID: c.id, Transport: c.kind, Remote: c.remote, Process: c.process, Since: c.since, Peers: []PeerState{}, Traffic: c.traffic()}
		for _, p := range c.peers {
			ps := PeerState{Peer: p.info, Subscriptions: make([]string, 0, len(p.subs)), Spy: spying[p]}
			for ch := range p.subs {
				ps.Subscriptions = append(ps.Subscriptions, ch)
			}
			sort.Strings(ps.Subscriptions)
			cs.Peers = append(cs.Peers, ps)
		}
		sort.Slice(cs.Peers, func(i, j int) bool { return cs.Peers[i].ID < cs.Peers[j].ID })
		s.Connections = append(s.Connections, cs)
	}
	for ch, rt := range h.router.channels {
		n := 0
		for _, cs := range rt.conns {
			n += len(cs.peers)
		}
		s.Channels = append(s.Channels, ChannelState{Channel: ch, Peers: n, Messages: rt.messages.Load(), Bytes: rt.bytes.Load()})
	}
	sort.Slice(s.Channels, func(i, j int) bool { return s.Channels[i].Channel < s.Channels[j].Channel })
	return s
}

// hubQuery answers the requests the hub handles itself; ok is false for
// any other channel. It parses the args of serviceAvailable by hand, and
// only up to wire.MaxHubArgsBytes: a larger query is refused.
func (h *Hub) hubQuery(f *wire.Frame) (status wire.Status, answer []byte, ok bool) {
	switch f.Channel {
	case wire.ChannelQueryState:
		b, _ := encode(h.State())
		return wire.StatusResolved, b, true
	case wire.ChannelServiceAvailable:
		if len(f.Body) > wire.MaxHubArgsBytes {
			reason := fmt.Sprintf("%s: args of %d bytes, over the hub's limit of %d", f.Channel, len(f.Body), wire.MaxHubArgsBytes)
			return wire.StatusRefused, wire.AppendStr(nil, reason), true
		}
		name, _ := wire.ReadServiceName(f.Body) // what does not read asks about no service
		b, _ := encode(name != "" && h.IsServiceAvailable(name))
		return wire.StatusResolved, b, true
	case wire.ChannelQueryServices:
		b, _ := encode(h.Services())
		return wire.StatusResolved, b, true
	}
	return 0, nil, false
}
