package hub

import (
	"sync"

	"github.com/ipcbus/ipcbus/shared/wire"
)

// ServiceState is an available service: its name, the peer that serves it
// and what it announced in its start event.
type ServiceState struct {
	Name                string    `json:"name" msgpack:"name"`
	Peer                wire.Peer `json:"peer" msgpack:"peer"`
	CallHandlers        []string  `json:"callHandlers" msgpack:"callHandlers"`
	SupportEventEmitter bool      `json:"supportEventEmitter" msgpack:"supportEventEmitter"`
}

// services records the services the hub saw start: a service is available
// while the peer that announced its start listens on its call channel.
// Records go on the service's stop event or when the peer leaves. The
// zero value is ready.
type services struct {
	mu     sync.Mutex
	byName map[string]map[*peer]wire.ServiceStatus
	byPeer map[*peer]map[string]struct{}
}

// observeServiceEvent looks at a send from p: on a service's event
// channel, a start event records the service (when p listens on its call
// channel, as a service that starts does first) and a stop event forgets
// it. It reads only the event's name and a start's status, by hand and
// only from args up to wire.MaxHubArgsBytes: the event's own args are
// never decoded. It runs on p's connection's reader goroutine.
func (h *Hub) observeServiceEvent(p *peer, f *wire.Frame) {
	name, ok := wire.ServiceOfEventChannel(f.Channel)
	if !ok {
		return
	}
	if len(f.Body) > wire.MaxHubArgsBytes {
		return // no service's start or stop is that large: delivered unread
	}
	event, st, err := wire.ReadServiceEvent(f.Body)
	if err != nil {
		return // not the service protocol: delivered as it is
	}
	switch event {
	case wire.ServiceEventStart:
		h.router.mu.RLock()
		_, listening := p.subs[wire.ServiceCallChannel(name)]
		var stale []string // p's records of services it no longer listens to
		h.services.mu.Lock()
		for n := range h.services.byPeer[p] {
			if _, ok := p.subs[wire.ServiceCallChannel(n)]; !ok {
				stale = append(stale, n)
			}
		}
		h.router.mu.RUnlock()
		for _, n := range stale {
			h.services.forgetLocked(n, p)
		}
		if listening {
			h.services.recordLocked(name, p, st)
		}
		h.services.mu.Unlock()
	case wire.ServiceEventStop:
		h.services.mu.Lock()
		h.services.forgetLocked(name, p)
		h.services.mu.Unlock()
	}
}

func (s *services) recordLocked(name string, p *peer, st wire.ServiceStatus) {
	if s.byName == nil {
		s.byName = make(map[string]map[*peer]wire.ServiceStatus)
		s.byPeer = make(map[*peer]map[string]struct{})
	}
	if s.byName[name] == nil {
		s.byName[name] = make(map[*peer]wire.ServiceStatus, 1)
	}
	s.byName[name][p] = st
	if s.byPeer[p] == nil {
		s.byPeer[p] = make(map[string]struct{}, 1)
	}
	s.byPeer[p][name] = struct{}{}
}

func (s *services) forgetLocked(name string, p *peer) {
	if peers := s.byName[name]; peers != nil {
		delete(peers, p)
		if len(peers) == 0 {
			delete(s.byName, name)
		}
	}
	if names := s.byPeer[p]; names != nil {
		delete(names, name)
		if len(names) == 0 {
			delete(s.byPeer, p)
		}
	}
}

// forgetPeerServices forgets the services p announced; p is leaving.
func (h *Hub) forgetPeerServices(p *peer) {
	s := &h.services
	s.mu.Lock()
	defer s.mu.Unlock()
	for name := range s.byPeer[p] {
		s.forgetLocked(name, p)
	}
}

// IsServiceAvailable reports whether the service name is available: a
// peer announced its start (and no stop since), is still on the bus and
// listens on its call channel.
func (h *Hub) IsServiceAvailable(name string) bool {
	return len(h.servicesNamed(name)) > 0
}

// Services returns the available services, sorted by name then peer id.
func (h *Hub) Services() []ServiceState {
	return h.servicesNamed("")
}

// servicesNamed lists the available services named name, or all of them
// when name is empty.
func (h *Hub) servicesNamed(name string) []ServiceState {
	type rec struct {
		name string
		p    *peer
		st   wire.ServiceStatus
	}
	var recs []rec
	h.services.mu.Lock()
	for n, peers := range h.services.byName {
		if name != "" && n != name {
			continue
		}
		for p, st := range peers {
			recs = append(recs, rec{n, p, st})
		}
	}
	h.services.mu.Unlock()
	out := []ServiceState{}
	h.router.mu.RLock()
	for _, r := range recs {
		if _, ok := r.p.subs[wire.ServiceCallChannel(r.name)]; !ok || h.router.peers[r.p.info.ID] != r.p {
			continue
		}
		handlers := r.st.CallHandlers
		if handlers == nil {
			handlers = []string{}
		}
		out = append(out, ServiceState{Name: r.name, Peer: r.p.info, CallHandlers: handlers, SupportEventEmitter: r.st.SupportEventEmitter})
	}
	h.router.mu.RUnlock()
	sortServices(out)
	return out
}
