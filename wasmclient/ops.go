//go:build js && wasm

package main

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/ipcbus/ipcbus/shared/bus"
)

// doneCtx is already done: Send with it never waits, and fails at once
// when the outbound queue is full.
var doneCtx = func() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}()

var errNoClient = errors.New("ipcbus: not connected (connect first)")

// handle runs one op. Ops that wait (connect, close, request) answer with
// a reply message carrying m.seq; the others return at once: nil, or an
// error (for JavaScript {code, message}), also sent as a reply when m has
// a seq.
func (e *engine) handle(m *op) error {
	switch m.op {
	case "connect":
		e.connect(m)
	case "close":
		e.close(m)
	case "request":
		e.request(m)
	case "listen":
		return e.done(m, e.listen(m))
	case "unlisten":
		return e.done(m, e.unlisten(m))
	case "send":
		return e.done(m, e.send(m))
	case "resolve", "reject":
		return e.done(m, e.answer(m))
	default:
		return e.done(m, errors.New("ipcbus: engine: unknown op "+m.op))
	}
	return nil
}

// done finishes a synchronous op: its result for the caller, and a reply
// when the caller asked for one with a seq.
func (e *engine) done(m *op, err error) error {
	if m.hasSeq {
		e.reply(m, nil, err)
	}
	return err
}

// reply answers op m: {op: "reply", seq, value} with what value appends
// (nothing when nil), or {op: "reply", seq, error}.
func (e *engine) reply(m *op, value func(rec) rec, err error) {
	seq, hasSeq := m.seq, m.hasSeq
	e.out.push(func(r rec) rec {
		n := 1
		if hasSeq {
			n++
		}
		if err != nil || value != nil {
			n++
		}
		r = r.mapLen(n).str("op", "reply")
		if hasSeq {
			r = r.num("seq", seq)
		}
		switch {
		case err != nil:
			r = r.err("error", err)
		case value != nil:
			r = value(r.key("value"))
		}
		return r
	})
}

func (e *engine) client(id int) *clientState {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.clients[id]
}

// connect: {seq, client, name, process?, timeout?, channels?: [channel...], reconnect?}.
// The channels the client listens to already are subscribed before it
// joins, so they are live when the reply comes. Connecting a connected client
// answers with its peer again.
func (e *engine) connect(m *op) {
	id := m.client
	e.mu.Lock()
	cs := e.clients[id]
	if cs == nil {
		conn := e.connForLocked(m.reconnect)
		cs = &clientState{id: id, cl: conn.NewClient(m.name, m.process), listening: make(map[string]bus.ListenerID)}
		e.clients[id] = cs
		for _, ch := range m.channels {
			e.addListener(cs, ch)
		}
	}
	e.mu.Unlock()
	ctx, cancel := context.Background(), context.CancelFunc(func() {})
	if d, ok := millis(m.timeout); ok {
		ctx, cancel = context.WithTimeout(ctx, d)
	}
	go func() {
		defer cancel()
		if err := cs.cl.Connect(ctx); err != nil {
			e.mu.Lock()
			conn := e.detachLocked(id, cs)
			e.mu.Unlock()
			cs.cl.Close()
			if conn != nil {
				conn.Close()
			}
			e.reply(m, nil, err)
			return
		}
		peer, max := cs.cl.Peer(), cs.cl.Conn().MaxFrameBytes()
		e.reply(m, func(r rec) rec { return r.mapLen(2).peer("peer", peer).int("maxFrameBytes", max) }, nil)
	}()
}

// close: {seq, client}. The client leaves; the connection closes with its
// last client.
func (e *engine) close(m *op) {
	id := m.client
	e.mu.Lock()
	cs := e.clients[id]
	var conn *bus.Conn
	if cs != nil {
		conn = e.detachLocked(id, cs)
	}
	e.mu.Unlock()
	if cs == nil {
		e.reply(m, nil, nil)
		return
	}
	go func() {
		cs.cl.Close()
		if conn != nil {
			conn.Close()
		}
		e.reply(m, nil, nil)
	}()
}

// listen: {client, channel}: the JS client has its first listener on
// channel (JavaScript keeps the listeners: src/emitter.js). The engine's
// one listener of the channel hands each delivery to JavaScript.
func (e *engine) listen(m *op) error {
	cs := e.client(m.client)
	if cs == nil {
		return errNoClient
	}
	e.addListener(cs, m.channel)
	return nil
}

func (e *engine) addListener(cs *clientState, channel string) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if _, ok := cs.listening[channel]; ok {
		return
	}
	cs.listening[channel] = cs.cl.On(channel, func(ev *bus.Event) { e.out.event(cs.id, ev, &e.reqs) })
}

// unlisten: {client, channel}: the JS client's last listener on channel
// is gone.
func (e *engine) unlisten(m *op) error {
	cs := e.client(m.client)
	if cs == nil {
		return nil
	}
	cs.mu.Lock()
	id, ok := cs.listening[m.channel]
	delete(cs.listening, m.channel)
	cs.mu.Unlock()
	if ok {
		cs.cl.Off(m.channel, id)
	}
	return nil
}

// argsOf returns the op's arguments: one msgpack array (empty when none).
func argsOf(m *op) ([]byte, error) {
	if m.argsErr != nil {
		return nil, m.argsErr
	}
	if m.args == nil {
		return []byte{0x90}, nil
	}
	return m.args, nil
}

// send: {client, channel, to?, args: [Uint8Array, ...]}. It never waits:
// with the outbound queue full it fails at once.
func (e *engine) send(m *op) error {
	cs := e.client(m.client)
	if cs == nil {
		return errNoClient
	}
	args, err := argsOf(m)
	if err != nil {
		return err
	}
	return cs.cl.SendRaw(doneCtx, m.to, m.channel, args)
}

// request: {seq, client, channel, to?, timeout, args}. A timeout of zero,
// absent or negative waits forever (the JS side applies its defaults).
//
// The request goes out from this callback and its answer comes back from
// the goroutine that reads the connection (bus.Client.RequestRawAsync):
// no goroutine per request, and the engine's one timer for the deadlines.
// Only when the outbound queue is full does a request wait for room, on a
// goroutine of its own, as long as its timeout allows.
func (e *engine) request(m *op) {
	cs := e.client(m.client)
	if cs == nil {
		e.reply(m, nil, errNoClient)
		return
	}
	args, err := argsOf(m)
	if err != nil {
		e.reply(m, nil, err)
		return
	}
	d, timed := millis(m.timeout)
	var (
		mu      sync.Mutex // done may run on the reader's goroutine
		dl      *deadline
		started bool // RequestRawAsync returned
		ended   bool // done was called
		full    bool // done was called at once: no room in the outbound queue
	)
	cancel := cs.cl.RequestRawAsync(doneCtx, m.to, m.channel, args, func(resp *bus.Response, err error) {
		mu.Lock()
		ended = true
		if !started && errors.Is(err, bus.ErrOutboundFull) {
			full = true
			mu.Unlock()
			return
		}
		d := dl
		mu.Unlock()
		if d != nil {
			e.timeouts.stop(d)
		}
		e.answered(m, resp, err)
	})
	mu.Lock()
	defer mu.Unlock()
	started = true
	if full {
		e.requestWaiting(m, cs, args)
		return
	}
	if timed && !ended {
		dl = e.timeouts.add(time.Now().Add(d), func() { cancel(bus.ErrTimeout) })
	}
}

// requestWaiting is a request that waits for room in the outbound queue.
func (e *engine) requestWaiting(m *op, cs *clientState, args []byte) {
	ctx, cancel := context.Background(), context.CancelFunc(func() {})
	if d, ok := millis(m.timeout); ok {
		ctx, cancel = context.WithTimeout(ctx, d)
	}
	go func() {
		defer cancel()
		resp, err := cs.cl.RequestRaw(ctx, m.to, m.channel, args)
		e.answered(m, resp, err)
	}()
}

// answered replies to request m with its outcome.
func (e *engine) answered(m *op, resp *bus.Response, err error) {
	if err != nil {
		e.reply(m, nil, err)
		return
	}
	e.reply(m, func(r rec) rec {
		return r.mapLen(2).bin("payload", resp.Raw()).peer("sender", resp.Sender)
	}, nil)
}

// resolve: {client, req, value: Uint8Array}; reject: {client, req,
// message}. Answering a request already answered, unknown, or delivered to
// another client does nothing.
func (e *engine) answer(m *op) error {
	r := e.reqs.take(m.req, m.client)
	if r == nil {
		return nil
	}
	var err error
	if m.op == "resolve" {
		var v []byte
		if v, err = checkValue(m.value); err == nil {
			_, err = r.ResolveRaw(v)
		} else {
			r.Reject("ipcbus: the response could not be sent: " + err.Error())
		}
	} else {
		_, err = r.Reject(string(m.message))
	}
	return err
}
