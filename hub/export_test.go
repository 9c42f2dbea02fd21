package hub

// InFlightRequests is how many requests h holds, not yet settled: its own
// peers' and the ones it relays for other hubs.
func InFlightRequests(h *Hub) int {
	h.requests.mu.Lock()
	defer h.requests.mu.Unlock()
	return len(h.requests.byID)
}

// RelayedPorts is how many port relays h holds: between its connections,
// shared with other hubs, or waiting for a claim.
func RelayedPorts(h *Hub) int {
	h.mu.Lock()
	conns := make([]*conn, 0, len(h.conns))
	for c := range h.conns {
		conns = append(conns, c)
	}
	h.mu.Unlock()
	h.ports.mu.Lock()
	defer h.ports.mu.Unlock()
	seen := make(map[*relay]struct{})
	for _, c := range conns {
		for _, r := range c.ports {
			seen[r] = struct{}{}
		}
	}
	if h.fed != nil {
		for _, r := range h.fed.remote {
			seen[r] = struct{}{}
		}
		for _, o := range h.fed.offers {
			for _, r := range o.relays {
				seen[r] = struct{}{}
			}
		}
	}
	return len(seen)
}
