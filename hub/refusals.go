package hub

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"
)

// refusals counts the connections refused before they were welcomed (bad
// upgrades, bad tokens, handshake timeouts, users not allowed, limits,
// failed accepts) and logs them as one WARN line per
// Config.RefusalLogInterval with a count per listener and reason, so that
// whoever sends them cannot flood the log.
type refusals struct {
	mu     sync.Mutex
	counts map[string]int // "listener: reason" → count since the last line
	total  int            // since the hub started
}

// maxRefusalKeys bounds the distinct reasons counted in one interval.
const maxRefusalKeys = 64

func (r *refusals) add(kind, reason string) {
	r.mu.Lock()
	if r.counts == nil {
		r.counts = make(map[string]int)
	}
	k := kind + ": " + reason
	if _, ok := r.counts[k]; !ok && len(r.counts) >= maxRefusalKeys {
		k = kind + ": other"
	}
	r.counts[k]++
	r.total++
	r.mu.Unlock()
}

// Refused returns the number of connections refused before hello or at
// their upgrade since the hub started (see Config.RefusalLogInterval).
func (h *Hub) Refused() int {
	h.refusals.mu.Lock()
	defer h.refusals.mu.Unlock()
	return h.refusals.total
}

// flush logs what was counted since the last line, if anything.
func (h *Hub) flushRefusals() {
	r := &h.refusals
	r.mu.Lock()
	counts := r.counts
	r.counts = nil
	r.mu.Unlock()
	if len(counts) == 0 {
		return
	}
	n := 0
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(counts)) {
		n += counts[k]
		parts = append(parts, fmt.Sprintf("%s ×%d", k, counts[k]))
	}
	h.log.Warn("connections refused", "count", n, "reasons", strings.Join(parts, "; "))
}

// refusalLog writes the counts once per interval until the hub shuts
// down, and what is left then.
func (h *Hub) refusalLog() {
	t := time.NewTicker(h.cfg.RefusalLogInterval)
	defer t.Stop()
	for {
		select {
		case <-h.quit:
			h.flushRefusals()
			return
		case <-t.C:
			h.flushRefusals()
		}
	}
}

// PendingHello returns the number of connections that have not said hello
// yet (see Config.MaxPendingHello).
func (h *Hub) PendingHello() int { return int(h.pendingHello.Load()) }
