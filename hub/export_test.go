package hub

// InFlightRequests is how many requests h holds, not yet settled: its own
// peers' and the ones it relays for other hubs.
func InFlightRequests(h *Hub) int {
	h.requests.mu.Lock()
	defer h.requests.mu.Unlock()
	return len(h.requests.byID)
}
