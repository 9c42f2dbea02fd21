package hub

import (
	"encoding/binary"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/ipcbus/ipcbus/shared/wire"
)

// Hubs tell each other they are alive on P.hb: a heartbeat every
// NATSConfig.Heartbeat, and a leave at Shutdown. A hub not heard of for
// NATSConfig.HeartbeatTimeout, or that left, or whose heartbeat tells of a
// new run (it restarted), is gone: the requests waiting on its peers fail
// at once (responder-gone), and the requests it made are dropped.

const (
	fedHeartbeat = 'H' // hub, run
	fedLeave     = 'L' // hub, run
)

// hubSeen is what a hub knows of another: its run (0 until a heartbeat
// told it) and when it was last heard of.
type hubSeen struct {
	inc  uint64
	last time.Time
}

func (f *federation) presenceSubject() string { return f.cfg.Prefix + ".hb" }

func appendPresence(b []byte, kind byte, hub uint32, inc uint64) []byte {
	b = binary.AppendUvarint(append(b, kind), uint64(hub))
	return binary.AppendUvarint(b, inc)
}

// startPresence subscribes to the other hubs' heartbeats, tells its own at
// once, and keeps telling it until stop.
func (f *federation) startPresence() error {
	sub, err := f.nc.Subscribe(f.presenceSubject(), f.onPresence)
	if err != nil {
		return err
	}
	f.limit(sub)
	f.beat(fedHeartbeat)
	f.wg.Add(1)
	go f.runPresence()
	return nil
}

func (f *federation) beat(kind byte) {
	if err := f.nc.Publish(f.presenceSubject(), appendPresence(make([]byte, 0, 16), kind, f.cfg.HubID, f.inc)); err != nil {
		f.h.log.Debug("federation: heartbeat publish failed", "err", err)
	}
}

// announceLeave tells the other hubs this one goes, and waits (a bounded
// time) for NATS to have it.
func (f *federation) announceLeave() {
	f.beat(fedLeave)
	if err := f.nc.FlushTimeout(time.Second); err != nil {
		f.h.log.Debug("federation: leave not flushed", "err", err)
	}
}

func (f *federation) runPresence() {
	defer f.wg.Done()
	t := time.NewTicker(f.cfg.Heartbeat)
	defer t.Stop()
	for {
		select {
		case <-f.quit:
			return
		case now := <-t.C:
			f.beat(fedHeartbeat)
			if f.nc.IsConnected() { // cut off, it hears no one: it judges no one
				f.expire(now)
			}
		}
	}
}

// expire forgets the hubs not heard of for HeartbeatTimeout.
func (f *federation) expire(now time.Time) {
	var gone []uint32
	f.pmu.Lock()
	for hub, s := range f.seen {
		if now.Sub(s.last) > f.cfg.HeartbeatTimeout {
			gone = append(gone, hub)
		}
	}
	f.pmu.Unlock()
	for _, hub := range gone {
		f.hubGone(hub, "its heartbeat stopped")
	}
}

// rearm restarts every other hub's timeout, when this hub reconnected
// to NATS: it could not hear them meanwhile.
func (f *federation) rearm() {
	now := time.Now()
	f.pmu.Lock()
	for _, s := range f.seen {
		s.last = now
	}
	f.pmu.Unlock()
}

// touch records that hub was heard of (an ack, a request), so that it is
// timed out even when it never gets to send a heartbeat.
func (f *federation) touch(hub uint32) {
	f.pmu.Lock()
	f.touchLocked(hub)
	f.pmu.Unlock()
}

func (f *federation) touchLocked(hub uint32) {
	if hub == f.cfg.HubID {
		return
	}
	if s := f.seen[hub]; s != nil {
		s.last = time.Now()
		return
	}
	if len(f.seen) < maxOrigins {
		f.seen[hub] = &hubSeen{last: time.Now()}
	}
}

func (f *federation) onPresence(m *nats.Msg) {
	b := m.Data
	if len(b) == 0 || (b[0] != fedHeartbeat && b[0] != fedLeave) {
		return
	}
	kind := b[0]
	hub, b, ok := uvarint(b[1:])
	if !ok || hub == 0 || hub > maxHubID || uint32(hub) == f.cfg.HubID {
		return
	}
	inc, _, ok := uvarint(b)
	if !ok {
		return
	}
	id := uint32(hub)
	if kind == fedLeave {
		f.hubGone(id, "it left")
		return
	}
	f.pmu.Lock()
	s := f.seen[id]
	restarted := s != nil && s.inc != 0 && s.inc != inc
	fresh := s == nil || s.inc == 0 // a hub first heard of, which may not know this one yet
	if s == nil && len(f.seen) < maxOrigins {
		s = &hubSeen{}
		f.seen[id] = s
	}
	if s != nil && !restarted {
		s.inc, s.last = inc, time.Now()
	}
	f.pmu.Unlock()
	if fresh || restarted {
		f.beat(fedHeartbeat) // so that a newcomer knows the others at once, not a beat later
	}
	if restarted {
		f.hubGone(id, "it restarted")
		f.pmu.Lock()
		f.seen[id] = &hubSeen{inc: inc, last: time.Now()}
		f.pmu.Unlock()
	}
}

// hubGone fails the requests waiting on hub's peers and drops the requests
// hub made.
func (f *federation) hubGone(hub uint32, why string) {
	f.pmu.Lock()
	_, known := f.seen[hub]
	delete(f.seen, hub)
	c := f.origins[hub]
	delete(f.origins, hub)
	f.pmu.Unlock()
	if c != nil {
		f.h.requests.dropConn(c)
	}
	f.dropHubPorts(hub)
	t := &f.h.requests
	var failed []*hubRequest
	t.mu.Lock()
	for _, r := range t.byID {
		if r.dropHolderLocked(hub) {
			failed = append(failed, r)
		}
	}
	for _, r := range failed {
		t.removeLocked(r)
	}
	t.mu.Unlock()
	if known || len(failed) > 0 {
		f.h.log.Info("federation: hub gone", "hub_id", hub, "why", why, "requests_failed", len(failed))
	}
	for _, r := range failed {
		f.h.answer(r, wire.StatusResponderGone, f.h.self, nil)
	}
}
