package hub

import (
	"encoding/binary"
	"slices"
	"sort"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/ipcbus/ipcbus/shared/wire"
)

// The hub's own queries (queryState, serviceAvailable, queryServices)
// answer for the whole federation: the hub asks the others on P.q, each
// answers for itself (its hub id, then msgpack), and the hub merges what
// came back from every hub it knows of (by their heartbeats), or what
// came within fedQueryTimeout. A hub cut off from NATS, or that knows of
// no other, answers for itself at once, as a lone hub does.

const (
	fedQueryState    = 'S'
	fedQueryServices = 'V' // then the service's name; empty: all
)

// fedQueryTimeout bounds how long a query waits for the other hubs: one
// that has not answered by then is left out of the answer.
const fedQueryTimeout = 500 * time.Millisecond

// maxFedQueries bounds the queries waiting on other hubs at once; past
// it, a query is refused.
const maxFedQueries = 64

func (f *federation) querySubject() string { return f.cfg.Prefix + ".q" }

func (f *federation) startQueries() error {
	sub, err := f.nc.Subscribe(f.querySubject(), f.onQuery)
	if err != nil {
		return err
	}
	f.limit(sub)
	return nil
}

// onQuery answers another hub's query about this hub.
func (f *federation) onQuery(m *nats.Msg) {
	if m.Reply == "" || len(m.Data) == 0 {
		return
	}
	var v any
	switch m.Data[0] {
	case fedQueryState:
		v = f.h.State()
	case fedQueryServices:
		v = f.h.servicesNamed(string(m.Data[1:]))
	default:
		return
	}
	b, err := encode(v)
	if err != nil {
		return
	}
	if int64(len(b)) > f.nc.MaxPayload()-16 {
		s := f.h.State()
		b, _ = encode(State{Hub: s.Hub, HubID: s.HubID, Listeners: s.Listeners, Connections: []ConnectionState{}, Channels: []ChannelState{}, Truncated: true})
		if m.Data[0] != fedQueryState {
			b, _ = encode([]ServiceState{})
		}
	}
	data := binary.AppendUvarint(make([]byte, 0, 8+len(b)), uint64(f.cfg.HubID))
	if err := m.Respond(append(data, b...)); err != nil {
		f.h.log.Debug("federation: query answer failed", "err", err)
	}
}

// askOthers answers r, a query the hub answers itself (its local answer
// status), for the federation: it reports false when the local answer is
// the whole answer (no other hub to ask, or a service available here).
// Otherwise r is answered from another goroutine once the hubs have.
func (f *federation) askOthers(r *hubRequest, status wire.Status, frame *wire.Frame) bool {
	if f == nil || f.nc == nil || status != wire.StatusResolved || !f.nc.IsConnected() || len(f.knownHubs()) == 0 {
		return false
	}
	h := f.h
	var q []byte
	var merge func(local any, others [][]byte) any
	var local func() any
	switch frame.Channel {
	case wire.ChannelQueryState:
		q = []byte{fedQueryState}
		local = func() any { return h.State() }
		merge = mergeStates
	case wire.ChannelServiceAvailable, wire.ChannelQueryServices:
		name := ""
		if frame.Channel == wire.ChannelServiceAvailable {
			name, _ = wire.ReadServiceName(frame.Body)
			if name == "" || h.IsServiceAvailable(name) {
				return false
			}
		}
		q = append([]byte{fedQueryServices}, name...)
		local = func() any { return h.servicesNamed(name) }
		merge = mergeServices
		if name != "" {
			merge = func(local any, others [][]byte) any { return len(mergeServices(local, others).([]ServiceState)) > 0 }
		}
	default:
		return false
	}
	select {
	case f.queries <- struct{}{}:
	default:
		reason := wire.AppendStr(nil, frame.Channel+": too many federation queries in flight, retry")
		h.answer(r, wire.StatusRefused, h.self, reason)
		return true
	}
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		defer func() { <-f.queries }()
		others := f.gather(q)
		b, _ := encode(merge(local(), others))
		h.answer(r, wire.StatusResolved, h.self, b)
	}()
	return true
}

// knownHubs are the other hubs this one has heard of.
func (f *federation) knownHubs() []uint32 {
	f.pmu.Lock()
	defer f.pmu.Unlock()
	ids := make([]uint32, 0, len(f.seen))
	for id := range f.seen {
		ids = append(ids, id)
	}
	return ids
}

// gather asks the other hubs q and returns their answers (msgpack), sorted
// by hub id: every known hub's, or those that came within fedQueryTimeout.
func (f *federation) gather(q []byte) [][]byte {
	want := f.knownHubs()
	inbox := nats.NewInbox()
	ch := make(chan *nats.Msg, len(want)+16)
	sub, err := f.nc.ChanSubscribe(inbox, ch)
	if err != nil {
		return nil
	}
	defer sub.Unsubscribe()
	if err := f.nc.PublishRequest(f.querySubject(), inbox, q); err != nil {
		return nil
	}
	got := make(map[uint32][]byte, len(want))
	timer := time.NewTimer(fedQueryTimeout)
	defer timer.Stop()
	for !allIn(got, want) {
		select {
		case m := <-ch:
			id, b, ok := uvarint(m.Data)
			if ok && id != 0 && id <= maxHubID && len(got) < maxOrigins {
				got[uint32(id)] = b
			}
		case <-timer.C:
			return sortedByHub(got)
		case <-f.quit:
			return nil
		}
	}
	return sortedByHub(got)
}

func allIn(got map[uint32][]byte, want []uint32) bool {
	for _, id := range want {
		if _, ok := got[id]; !ok {
			return false
		}
	}
	return true
}

func sortedByHub(got map[uint32][]byte) [][]byte {
	ids := make([]uint32, 0, len(got))
	for id := range got {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	out := make([][]byte, len(ids))
	for i, id := range ids {
		out[i] = got[id]
	}
	return out
}

// mergeStates puts the other hubs' states, in hub id order, under the
// local one's Hubs.
func mergeStates(local any, others [][]byte) any {
	s := local.(State)
	for _, b := range others {
		var o State
		if decodeHubAnswer(b, &o) == nil {
			o.Hubs = nil
			s.Hubs = append(s.Hubs, o)
		}
	}
	return s
}

// mergeServices adds the other hubs' services to the local ones, sorted as
// Services sorts them.
func mergeServices(local any, others [][]byte) any {
	all := local.([]ServiceState)
	for _, b := range others {
		var o []ServiceState
		if decodeHubAnswer(b, &o) == nil {
			all = append(all, o...)
		}
	}
	sortServices(all)
	return all
}

func sortServices(s []ServiceState) {
	sort.Slice(s, func(i, j int) bool {
		if s[i].Name != s[j].Name {
			return s[i].Name < s[j].Name
		}
		return s[i].Peer.ID < s[j].Peer.ID
	})
}
