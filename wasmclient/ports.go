//go:build js && wasm

package main

import (
	"errors"
	"sync"
	"syscall/js"

	"github.com/ipcbus/ipcbus/shared/bus"
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

// portOp runs the port ops; ok is false for any other op.
func (e *engine) portOp(msg js.Value) (result any, ok bool) {
	switch str(msg, "op") {
	case "postMessage":
		return e.done(msg, e.postMessage(msg)), true
	case "portPost":
		return e.done(msg, e.portPost(msg)), true
	case "portClose":
		e.pt.mu.Lock()
		p := e.pt.bound[num(msg, "port", 0)]
		e.pt.mu.Unlock()
		if p != nil {
			p.Close()
		}
		return e.done(msg, nil), true
	}
	return nil, false
}

// postMessage: {client, channel, to?, message: Uint8Array, ports: [handle, ...]}.
func (e *engine) postMessage(msg js.Value) error {
	cs := e.client(msg)
	if cs == nil {
		return errNoClient
	}
	body, err := rawOf(msg.Get("message"))
	if err != nil {
		return err
	}
	hs := msg.Get("ports")
	n := 0
	if hs.InstanceOf(jsArray) {
		n = hs.Length()
	}
	ports := make([]*bus.Port, n)
	pt := &e.pt
	pt.mu.Lock()
	for i := range ports {
		ports[i] = cs.cl.NewPort()
		pt.sent[ports[i]] = hs.Index(i).Int()
	}
	pt.mu.Unlock()
	err = cs.cl.PostMessageRaw(doneCtx, targetOf(msg.Get("to")), str(msg, "channel"), body, ports...)
	for i, p := range ports {
		if err != nil || p.Relayed() {
			pt.mu.Lock()
			delete(pt.sent, p)
			pt.mu.Unlock()
		}
		if err == nil && p.Relayed() {
			h := hs.Index(i).Int()
			e.out.push(message("portRelayed", "port", h))
			e.bindPort(h, p)
		}
	}
	return err
}

// portPost: {port, data: Uint8Array}. It never waits.
func (e *engine) portPost(msg js.Value) error {
	e.pt.mu.Lock()
	p := e.pt.bound[num(msg, "port", 0)]
	e.pt.mu.Unlock()
	if p == nil {
		return errNoPort
	}
	data, err := rawOf(msg.Get("data"))
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
		v := message("portMessage", "port", h)
		v.Set("data", toJSBytes(m.Raw()))
		e.out.push(v)
	})
	p.OnClose(func() {
		e.pt.mu.Lock()
		delete(e.pt.bound, h)
		delete(e.pt.given, p)
		e.pt.mu.Unlock()
		e.out.push(message("portClosed", "port", h))
	})
}

// eventPorts describes the ports of an event for JavaScript: [{local: h}
// or {relay: h}, ...]. Each port goes to the first event that carries it.
// Runs on the dispatch goroutine.
func (e *engine) eventPorts(ports []*bus.Port) js.Value {
	out := jsArray.New()
	for _, q := range ports {
		o := newObject()
		pt := &e.pt
		pt.mu.Lock()
		if origin := q.Origin(); origin != nil {
			h, ok := pt.sent[origin]
			delete(pt.sent, origin)
			pt.mu.Unlock()
			if !ok {
				continue
			}
			o.Set("local", h)
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
			o.Set("relay", h)
		}
		out.Call("push", o)
	}
	return out
}
