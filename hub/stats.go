package hub

import (
	"sync/atomic"
	"time"

	"github.com/ipcbus/ipcbus/shared/wire"
)

// stats are the hub's counters since it started. Traffic is counted per
// connection (conn.framesIn and the like, each written by one goroutine);
// what connections that are gone carried is kept here, so that a total is
// the sum over the live connections plus these.
type stats struct {
	// Of the connections gone; guarded by Hub.mu, as Hub.conns is.
	goneFramesIn, goneBytesIn, goneFramesOut, goneBytesOut uint64

	sends    atomic.Uint64
	requests [wire.StatusRefused + 1]atomic.Uint64 // by outcome
	closes   [wire.CloseInternal - wire.CloseNormal + 1]atomic.Uint64

	droppedResponses    atomic.Uint64 // to requests settled already
	droppedPortMessages atomic.Uint64 // on ports closed already
	droppedSpies        atomic.Uint64 // spies that fell behind
}

// retireLocked adds what c carried to the counts of the connections gone,
// as c leaves Hub.conns. Hub.mu is held.
func (s *stats) retireLocked(c *conn) {
	s.goneFramesIn += c.framesIn.Load()
	s.goneBytesIn += c.bytesIn.Load()
	s.goneFramesOut += c.framesOut.Load()
	s.goneBytesOut += c.bytesOut.Load()
}

// countClose counts a connection closed with code.
func (s *stats) countClose(code wire.CloseCode) {
	if code >= wire.CloseNormal && code <= wire.CloseInternal {
		s.closes[code-wire.CloseNormal].Add(1)
	}
}

// countRequest counts the outcome of r and observes its latency.
func (h *Hub) countRequest(r *hubRequest, status wire.Status) {
	if int(status) < len(h.stats.requests) {
		h.stats.requests[status].Add(1)
	}
	if !r.start.IsZero() {
		h.metrics.requestSeconds.Observe(time.Since(r.start).Seconds())
	}
}

// Traffic is what the hub's connections carried: frames and bytes read
// from clients (In) and written to them (Out).
type Traffic struct {
	FramesIn  uint64 `json:"framesIn" msgpack:"framesIn"`
	BytesIn   uint64 `json:"bytesIn" msgpack:"bytesIn"`
	FramesOut uint64 `json:"framesOut" msgpack:"framesOut"`
	BytesOut  uint64 `json:"bytesOut" msgpack:"bytesOut"`
}

func (c *conn) traffic() Traffic {
	return Traffic{FramesIn: c.framesIn.Load(), BytesIn: c.bytesIn.Load(), FramesOut: c.framesOut.Load(), BytesOut: c.bytesOut.Load()}
}

// totalTraffic sums the traffic of every connection since the hub started.
func (h *Hub) totalTraffic() Traffic {
	h.mu.Lock()
	defer h.mu.Unlock()
	t := Traffic{FramesIn: h.stats.goneFramesIn, BytesIn: h.stats.goneBytesIn, FramesOut: h.stats.goneFramesOut, BytesOut: h.stats.goneBytesOut}
	for c := range h.conns {
		ct := c.traffic()
		t.FramesIn += ct.FramesIn
		t.BytesIn += ct.BytesIn
		t.FramesOut += ct.FramesOut
		t.BytesOut += ct.BytesOut
	}
	return t
}
