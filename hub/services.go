package hub

import (
	"bytes"
	"sort"
	"strings"
	"sync"

	"github.com/ipcbus/ipcbus/shared/wire"
	"github.com/vmihailenco/msgpack/v5"
)

// ChannelQueryServices is a request the hub answers itself, as it does
// wire.ChannelQueryState: the answer is the list of available services,
// []ServiceState, sorted by name then peer id. Its arguments are ignored.
const ChannelQueryServices = "/electron-common-ipc/queryServices"

// The service protocol of electron-common-ipc, as the hub watches it.
const (
	serviceNamespace  = "/electron-ipc-bus/ipc-service/"
	serviceEventStart = "service-event-start"
	serviceEventStop  = "service-event-stop"
)

// ServiceCallChannel is the channel a service named name answers calls on.
func ServiceCallChannel(name string) string { return serviceNamespace + name + "/call" }

// ServiceEventChannel is the channel a service named name sends events on.
func ServiceEventChannel(name string) string { return serviceNamespace + name + "/event" }

// ServiceState is an available service: its name, the peer that serves it
// and what it announced in its start event.
type ServiceState struct {
	Name                string    `json:"name" msgpack:"name"`
	Peer                wire.Peer `json:"peer" msgpack:"peer"`
	CallHandlers        []string  `json:"callHandlers" msgpack:"callHandlers"`
	SupportEventEmitter bool      `json:"supportEventEmitter" msgpack:"supportEventEmitter"`
}

// serviceStatus is the status a service announces with its start event.
type serviceStatus struct {
	CallHandlers        []string `msgpack:"callHandlers"`
	SupportEventEmitter bool     `msgpack:"supportEventEmitter"`
}

// services records the services the hub saw start: a service is available
// while the peer that announced its start listens on its call channel.
// Records go on the service's stop event or when the peer leaves. The
// zero value is ready.
type services struct {
	mu     sync.Mutex
	byName map[string]map[*peer]serviceStatus
	byPeer map[*peer]map[string]struct{}
}

// serviceName returns the service whose event channel channel is.
func serviceName(channel string) (string, bool) {
	name, ok := strings.CutPrefix(channel, serviceNamespace)
	if !ok {
		return "", false
	}
	name, ok = strings.CutSuffix(name, "/event")
	return name, ok && name != ""
}

// observeServiceEvent looks at a send from p: on a service's event
// channel, a start event records the service (when p listens on its call
// channel, as a service that starts does first) and a stop event forgets
// it. It runs on p's connection's reader goroutine.
func (h *Hub) observeServiceEvent(p *peer, f *wire.Frame) {
	name, ok := serviceName(f.Channel)
	if !ok {
		return
	}
	switch eventName(f.Body) {
	case serviceEventStart:
		st := startStatus(f.Body)
		h.router.mu.RLock()
		_, listening := p.subs[ServiceCallChannel(name)]
		var stale []string // p's records of services it no longer listens to
		h.services.mu.Lock()
		for n := range h.services.byPeer[p] {
			if _, ok := p.subs[ServiceCallChannel(n)]; !ok {
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
	case serviceEventStop:
		h.services.mu.Lock()
		h.services.forgetLocked(name, p)
		h.services.mu.Unlock()
	}
}

func (s *services) recordLocked(name string, p *peer, st serviceStatus) {
	if s.byName == nil {
		s.byName = make(map[string]map[*peer]serviceStatus)
		s.byPeer = make(map[*peer]map[string]struct{})
	}
	if s.byName[name] == nil {
		s.byName[name] = make(map[*peer]serviceStatus, 1)
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

// eventName returns the eventName of a service event's args array,
// [{eventName, args}], without decoding its args.
func eventName(body []byte) string {
	dec := msgpack.NewDecoder(bytes.NewReader(body))
	if n, err := dec.DecodeArrayLen(); err != nil || n < 1 {
		return ""
	}
	n, err := dec.DecodeMapLen()
	if err != nil {
		return ""
	}
	for i := 0; i < n; i++ {
		key, err := dec.DecodeInterface()
		if err != nil {
			return ""
		}
		if key == "eventName" {
			name, _ := dec.DecodeString()
			return name
		}
		if dec.Skip() != nil {
			return ""
		}
	}
	return ""
}

// startStatus decodes the status a start event carries; what does not
// decode is left empty.
func startStatus(body []byte) serviceStatus {
	var args []struct {
		Args []serviceStatus `msgpack:"args"`
	}
	if decode(body, &args) != nil || len(args) == 0 || len(args[0].Args) == 0 {
		return serviceStatus{}
	}
	return args[0].Args[0]
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
		st   serviceStatus
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
		if _, ok := r.p.subs[ServiceCallChannel(r.name)]; !ok || h.router.peers[r.p.info.ID] != r.p {
			continue
		}
		handlers := r.st.CallHandlers
		if handlers == nil {
			handlers = []string{}
		}
		out = append(out, ServiceState{Name: r.name, Peer: r.p.info, CallHandlers: handlers, SupportEventEmitter: r.st.SupportEventEmitter})
	}
	h.router.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool {
		if out[i].Name != out[j].Name {
			return out[i].Name < out[j].Name
		}
		return out[i].Peer.ID < out[j].Peer.ID
	})
	return out
}
