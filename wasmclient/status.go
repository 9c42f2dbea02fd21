//go:build js && wasm

package main

import (
	"github.com/ipcbus/ipcbus/shared/bus"
)

// statusChanged tells the JS clients on conn of a change of its status,
// on the dispatch goroutine (in order with their events): {op: "status",
// client, status, attempt, error?, peer?}. The first connect is its
// reply's; the end is each client's "closed" (connEnded).
func (e *engine) statusChanged(conn *bus.Conn, ch bus.StatusChange) {
	switch {
	case ch.Status == bus.StatusClosed:
		e.connEnded(conn, ch.Err)
		return
	case ch.Status == bus.StatusConnected && ch.Attempt == 0:
		return
	}
	e.mu.Lock()
	var on, refused []*clientState
	for _, cs := range e.clients {
		if cs.cl.Conn() != conn {
			continue
		}
		if ch.Status == bus.StatusConnected && cs.cl.Status() == bus.StatusClosed {
			refused = append(refused, cs) // the new hub refused its peer
			delete(e.clients, cs.id)
			continue
		}
		on = append(on, cs)
	}
	e.mu.Unlock()
	name, attempt, cause := ch.Status.Name(), ch.Attempt, ch.Err
	for _, cs := range on {
		id := cs.id
		peer, hasPeer := cs.cl.Peer(), cs.cl.Status() == bus.StatusConnected && ch.Status == bus.StatusConnected
		e.out.push(func(r rec) rec {
			n := 4
			if cause != nil {
				n++
			}
			if hasPeer {
				n++
			}
			r = r.mapLen(n).str("op", "status").int("client", id).str("status", name).int("attempt", attempt)
			if cause != nil {
				r = r.err("error", cause)
			}
			if hasPeer {
				r = r.peer("peer", peer)
			}
			return r
		})
	}
	for _, cs := range refused {
		id := cs.id
		e.out.push(func(r rec) rec {
			return r.mapLen(3).str("op", "closed").int("client", id).err("error", bus.ErrRefused)
		})
	}
}
