//go:build js && wasm

package main

import (
	"errors"
	"sync"

	"github.com/ipcbus/ipcbus/shared/bus"
	"github.com/ipcbus/ipcbus/shared/wire"
)

// MessagePort transfer. The JavaScript side keeps the real MessagePorts and
// names them by handles; the engine keeps a bus.Port per handle and tells
// JavaScript what became of each:
//
//   - a port received by a peer of this connection: the event names the
//     sender's handle ({local: h}) and JavaScript hands the real port over;
//   - a relayed port: the engine binds the handle ("portRelayed" for a
//     port sent, {relay: h} in the event for one received, with a handle
//     below zero chosen here); its messages cross as msgpack bytes:
//     "portPost"/"portMessage", and "portClose"/"portClosed".
type portTable struct {
	mu    sync.Mutex
	next  int
	bound map[int]*bus.Port // relayed ports by handle
	given map[*bus.Port]int // relayed ports received, by port: each goes to one event
	sent  map[*bus.Port]int // ends sent to a local peer, until delivered
}

var errNoPort = errors.New("ipcbus: engine: unknown or closed port")

// portRef is one port of an event for JavaScript: {local: h} (the real
// port JavaScript holds under handle h) or {relay: h} (a relayed port).
type portRef struct {
	local bool
	h     int
}

func appendPorts(r rec, ports []portRef) rec {
	r = rec(wire.AppendArrayLen(r, len(ports)))
	for _, p := range ports {
		k := "relay"
		if p.local {
			k = "local"
		}
		r = r.mapLen(1).int(k, p.h)
	}
	return r
}

// portOp runs the port ops; ok is false for any other op.
func (e *engine) portOp(m *op) (result error, ok bool) {
	switch m.op {
	case "postMessage":
		return e.done(m, e.postMessage(m)), true
	case "portPost":
		return e.done(m, e.portPost(m)), true
	case "portClose":
		e.pt.mu.Lock()
		p := e.pt.bound[m.port]
		e.pt.mu.Unlock()
		if p != nil {
			p.Close()
		}
		return e.done(m, nil), true
	}
	return nil, false
}

// postMessage: {client, channel, to?, message: Uint8Array, ports: [handle, ...]}.
func (e *engine) postMessage(m *op) error {
	cs := e.client(m.client)
	if cs == nil {
		return errNoClient
	}
	body, err := checkValue(m.message)
	if err != nil {
		return err
	}
	ports := make([]*bus.Port, len(m.ports))
	pt := &e.pt
	pt.mu.Lock()
	for i := range ports {
		ports[i] = cs.cl.NewPort()
		pt.sent[ports[i]] = m.ports[i]
	}
	pt.mu.Unlock()
	err = cs.cl.PostMessageRaw(doneCtx, m.to, m.channel, body, ports...)
	for i, p := range ports {
		if err != nil || p.Relayed() {
			pt.mu.Lock()
			delete(pt.sent, p)
			pt.mu.Unlock()
		}
		if err == nil && p.Relayed() {
			h := m.ports[i]
			e.out.push(func(r rec) rec { return r.mapLen(2).str("op", "portRelayed").int("port", h) })
			e.bindPort(h, p)
		}
	}
	return err
}

// portPost: {port, data: Uint8Array}. It never waits.
func (e *engine) portPost(m *op) error {
	e.pt.mu.Lock()
	p := e.pt.bound[m.port]
	e.pt.mu.Unlock()
	if p == nil {
		return errNoPort
	}
	data, err := checkValue(m.data)
	if err != nil {
		return err
	}
	return p.PostRaw(doneCtx, data)
}

// bindPort relays p's traffic to JavaScript under handle h.
func (e *engine) bindPort(h int, p *bus.Port) {
	e.pt.mu.Lock()
	e.pt.bound[h] = p
	e.pt.given[p] = h
	e.pt.mu.Unlock()
	p.OnMessage(func(m *bus.PortMessage) {
		e.out.push(func(r rec) rec { return r.mapLen(3).str("op", "portMessage").int("port", h).bin("data", m.Raw()) })
	})
	p.OnClose(func() {
		e.pt.mu.Lock()
		delete(e.pt.bound, h)
		delete(e.pt.given, p)
		e.pt.mu.Unlock()
		e.out.push(func(r rec) rec { return r.mapLen(2).str("op", "portClosed").int("port", h) })
	})
}

// eventPorts describes the ports of an event for JavaScript: [{local: h}
// or {relay: h}, ...]. Each port goes to the first event that carries it.
// Runs on the dispatch goroutine.
func (e *engine) eventPorts(ports []*bus.Port) []portRef {
	out := []portRef{}
	for _, q := range ports {
		pt := &e.pt
		pt.mu.Lock()
		if origin := q.Origin(); origin != nil {
			h, ok := pt.sent[origin]
			delete(pt.sent, origin)
			pt.mu.Unlock()
			if !ok {
				continue
			}
			out = append(out, portRef{local: true, h: h})
		} else {
			_, taken := pt.given[q]
			h := pt.next - 1
			if !taken {
				pt.next = h
				pt.given[q] = h
			}
			pt.mu.Unlock()
			if taken {
				continue
			}
			e.bindPort(h, q)
			out = append(out, portRef{h: h})
		}
	}
	return out
}
