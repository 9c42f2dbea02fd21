//go:build js && wasm

package main

import (
	"sync"

	"github.com/ipcbus/ipcbus/shared/bus"
)

// maxOpenRequests bounds the requests received and not yet answered; past
// it the oldest is forgotten (its requester times out as if unanswered).
const maxOpenRequests = 16384

// requestTable maps the handles JavaScript answers with to the requests
// listeners received, with the client each went to: the only one that may
// answer it (a page's client cannot answer a frame's request).
type requestTable struct {
	mu    sync.Mutex
	next  int
	open  map[int]openRequest
	order []int // handles by age, some already answered
}

type openRequest struct {
	r      *bus.Request
	client int
}

func (t *requestTable) init() { t.open = make(map[int]openRequest) }

func (t *requestTable) add(r *bus.Request, client int) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	for len(t.open) >= maxOpenRequests && len(t.order) > 0 {
		delete(t.open, t.order[0])
		t.order = t.order[1:]
	}
	if len(t.order) > 2*maxOpenRequests {
		t.compactLocked()
	}
	t.next++
	t.open[t.next] = openRequest{r, client}
	t.order = append(t.order, t.next)
	return t.next
}

func (t *requestTable) compactLocked() {
	live := t.order[:0]
	for _, h := range t.order {
		if _, ok := t.open[h]; ok {
			live = append(live, h)
		}
	}
	t.order = append([]int(nil), live...)
}

// take returns the request of handle h, when it went to client, and
// forgets it.
func (t *requestTable) take(h, client int) *bus.Request {
	t.mu.Lock()
	defer t.mu.Unlock()
	o, ok := t.open[h]
	if !ok || o.client != client {
		return nil
	}
	delete(t.open, h)
	return o.r
}
