package hub

import (
	"slices"
	"strconv"
	"strings"
)

// When a request that other hubs may hold settles at its origin (answered,
// failed, cancelled, its requester gone), the origin publishes a done on
// the subject the request went on, and the hubs that hold it drop it. A
// hub that delivered a request on a channel acknowledges it, so that the
// origin knows which hubs hold it: when they all fail it, or go, the
// request fails at once.

// maxPendingDones bounds the dones not yet published; past it they are
// dropped, and the hubs that hold those requests keep them until their
// responders answer or leave (MaxRequestsPerConn bounds them).
const maxPendingDones = 4096

// maxOrigins bounds the other hubs whose requests a hub holds at once.
const maxOrigins = 4096

// fedDoneMsg is a done to publish: request id went on channel, or to a
// peer of hub (not 0).
type fedDoneMsg struct {
	id      uint64
	hub     uint32
	channel string
}

// queueDone is requests.onFedRemove: r, which other hubs may hold, was
// removed. requests.mu is held: the done is published by runDones.
func (f *federation) queueDone(r *hubRequest) {
	select {
	case f.dones <- fedDoneMsg{id: r.id, hub: r.fedHub, channel: r.channel}:
	default:
		f.h.log.Debug("federation: done dropped, too many pending", "request", r.id)
	}
}

// runDones publishes the queued dones until stop.
func (f *federation) runDones() {
	defer f.wg.Done()
	buf := make([]byte, 0, 24)
	for {
		select {
		case <-f.quit:
			return
		case d := <-f.dones:
			subject := f.channelSubject(d.channel)
			if d.hub != 0 {
				subject = f.hubSubject(uint64(d.hub))
			}
			buf = appendFedDone(buf[:0], f.cfg.HubID, d.id)
			if err := f.nc.Publish(subject, buf); err != nil {
				f.h.log.Debug("federation: done publish failed", "err", err)
			}
		}
	}
}

// onDone drops request id of hub, which settled there.
func (f *federation) onDone(hub uint32, id uint64) {
	f.pmu.Lock()
	c := f.origins[hub]
	f.pmu.Unlock()
	if c != nil {
		f.h.requests.cancel(c, id)
	}
}

// onAck records that hub delivered request id to a listener of its own.
func (f *federation) onAck(id uint64, hub uint32) {
	f.touch(hub)
	t := &f.h.requests
	t.mu.Lock()
	defer t.mu.Unlock()
	if r := t.byID[id]; r != nil && r.remote == remoteAny && !slices.Contains(r.fedHolders, hub) {
		r.fedHolders = append(r.fedHolders, hub)
	}
}

// origin returns the pseudo connection of hub's requests, made at its
// first; nil when there are too many other hubs.
func (f *federation) origin(hub uint32) *conn {
	f.pmu.Lock()
	c := f.origins[hub]
	if c == nil && len(f.origins) < maxOrigins {
		c = &conn{h: f.h, asked: make(map[uint64]uint64)}
		f.origins[hub] = c
		f.touchLocked(hub)
	}
	f.pmu.Unlock()
	return c
}

// parseReply parses a request's reply subject, P.h.<hub>.r.<id>.
func (f *federation) parseReply(reply string) (uint32, uint64, bool) {
	rest, ok := strings.CutPrefix(reply, f.cfg.Prefix+".h.")
	if !ok {
		return 0, 0, false
	}
	hubText, idText, ok := strings.Cut(rest, ".r.")
	if !ok {
		return 0, 0, false
	}
	hub, err := strconv.ParseUint(hubText, 10, 32)
	if err != nil || hub == 0 || hub > maxHubID {
		return 0, 0, false
	}
	id, err := strconv.ParseUint(idText, 10, 64)
	if err != nil {
		return 0, 0, false
	}
	return uint32(hub), id, true
}
