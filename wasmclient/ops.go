//go:build js && wasm

package main

import (
	"context"
	"errors"
	"syscall/js"

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
// a reply message carrying msg.seq; the others return at once: undefined,
// or an {code, message} error, also sent as a reply when msg has a seq.
func (e *engine) handle(msg js.Value) any {
	switch op := str(msg, "op"); op {
	case "connect":
		e.connect(msg)
	case "close":
		e.close(msg)
	case "request":
		e.request(msg)
	case "on":
		return e.done(msg, e.on(msg))
	case "off":
		return e.done(msg, e.off(msg))
	case "offAll":
		return e.done(msg, e.offAll(msg))
	case "send":
		return e.done(msg, e.send(msg))
	case "resolve", "reject":
		return e.done(msg, e.answer(op, msg))
	default:
		return e.done(msg, errors.New("ipcbus: engine: unknown op "+op))
	}
	return nil
}

// done finishes a synchronous op: its result for the caller, and a reply
// when the caller asked for one with a seq.
func (e *engine) done(msg js.Value, err error) any {
	seq := msg.Get("seq")
	if seq.Type() == js.TypeNumber {
		e.reply(seq, js.Undefined(), err)
	}
	if err != nil {
		return errorValue(err)
	}
	return nil
}

func (e *engine) reply(seq, value js.Value, err error) {
	m := message("reply", "seq", seq)
	if err != nil {
		m.Set("error", errorValue(err))
	} else if !value.IsUndefined() {
		m.Set("value", value)
	}
	e.out.push(m)
}

func (e *engine) client(msg js.Value) *clientState {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.clients[num(msg, "client", 0)]
}

// connect: {seq, client, name, process?, timeout?, listeners?: [{channel, id, once}]}.
// The listeners, in calling order, are registered before the client joins,
// so they are live when the reply comes. Connecting a connected client
// answers with its peer again.
func (e *engine) connect(msg js.Value) {
	seq := msg.Get("seq")
	id := num(msg, "client", 0)
	e.mu.Lock()
	cs := e.clients[id]
	if cs == nil {
		conn := e.connForLocked()
		cs = &clientState{id: id, cl: conn.NewClient(str(msg, "name"), processOf(msg.Get("process"))), listeners: make(map[int]registration)}
		e.clients[id] = cs
		if ls := msg.Get("listeners"); ls.InstanceOf(jsArray) {
			for i := 0; i < ls.Length(); i++ {
				e.addListener(cs, ls.Index(i))
			}
		}
	}
	e.mu.Unlock()
	ctx, cancel := context.Background(), context.CancelFunc(func() {})
	if d, ok := millis(msg.Get("timeout")); ok {
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
			e.reply(seq, js.Undefined(), err)
			return
		}
		v := newObject()
		v.Set("peer", peerValue(cs.cl.Peer()))
		v.Set("maxFrameBytes", cs.cl.Conn().MaxFrameBytes())
		e.reply(seq, v, nil)
	}()
}

// close: {seq, client}. The client leaves; the connection closes with its
// last client.
func (e *engine) close(msg js.Value) {
	seq := msg.Get("seq")
	id := num(msg, "client", 0)
	e.mu.Lock()
	cs := e.clients[id]
	var conn *bus.Conn
	if cs != nil {
		conn = e.detachLocked(id, cs)
	}
	e.mu.Unlock()
	if cs == nil {
		e.reply(seq, js.Undefined(), nil)
		return
	}
	go func() {
		cs.cl.Close()
		if conn != nil {
			conn.Close()
		}
		e.reply(seq, js.Undefined(), nil)
	}()
}

// on: {client, channel, id, once?, prepend?}.
func (e *engine) on(msg js.Value) error {
	cs := e.client(msg)
	if cs == nil {
		return errNoClient
	}
	e.addListener(cs, msg)
	return nil
}

func (e *engine) addListener(cs *clientState, l js.Value) {
	channel, lid := str(l, "channel"), num(l, "id", 0)
	once := flag(l, "once")
	opts := []bus.ListenOption{bus.WithKey(lid)}
	if once {
		opts = append(opts, bus.Once())
	}
	if flag(l, "prepend") {
		opts = append(opts, bus.Prepend())
	}
	fn := func(ev *bus.Event) {
		if once {
			cs.mu.Lock()
			delete(cs.listeners, lid)
			cs.mu.Unlock()
		}
		e.out.event(cs.id, lid, ev, &e.reqs)
	}
	cs.mu.Lock()
	defer cs.mu.Unlock()
	cs.listeners[lid] = registration{channel: channel, id: cs.cl.AddListener(channel, fn, opts...)}
}

// off: {client, id}.
func (e *engine) off(msg js.Value) error {
	cs := e.client(msg)
	if cs == nil {
		return nil
	}
	lid := num(msg, "id", 0)
	cs.mu.Lock()
	r, ok := cs.listeners[lid]
	delete(cs.listeners, lid)
	cs.mu.Unlock()
	if ok {
		cs.cl.Off(r.channel, r.id)
	}
	return nil
}

// offAll: {client, channel?}; without a channel, every channel.
func (e *engine) offAll(msg js.Value) error {
	cs := e.client(msg)
	if cs == nil {
		return nil
	}
	channel, all := str(msg, "channel"), msg.Get("channel").IsUndefined()
	cs.mu.Lock()
	for lid, r := range cs.listeners {
		if all || r.channel == channel {
			delete(cs.listeners, lid)
		}
	}
	cs.mu.Unlock()
	if all {
		cs.cl.RemoveAllListeners()
	} else {
		cs.cl.RemoveAllListeners(channel)
	}
	return nil
}

// send: {client, channel, to?, args: [Uint8Array, ...]}. It never waits:
// with the outbound queue full it fails at once.
func (e *engine) send(msg js.Value) error {
	cs := e.client(msg)
	if cs == nil {
		return errNoClient
	}
	args, err := argsOf(msg.Get("args"))
	if err != nil {
		return err
	}
	return cs.cl.SendRaw(doneCtx, targetOf(msg.Get("to")), str(msg, "channel"), args)
}

// request: {seq, client, channel, to?, timeout, args}. A timeout of zero,
// absent or negative waits forever (the JS side applies its defaults).
func (e *engine) request(msg js.Value) {
	seq := msg.Get("seq")
	cs := e.client(msg)
	if cs == nil {
		e.reply(seq, js.Undefined(), errNoClient)
		return
	}
	args, err := argsOf(msg.Get("args"))
	if err != nil {
		e.reply(seq, js.Undefined(), err)
		return
	}
	to, channel := targetOf(msg.Get("to")), str(msg, "channel")
	ctx, cancel := context.Background(), context.CancelFunc(func() {})
	if d, ok := millis(msg.Get("timeout")); ok {
		ctx, cancel = context.WithTimeout(ctx, d)
	}
	go func() {
		defer cancel()
		resp, err := cs.cl.RequestRaw(ctx, to, channel, args)
		if err != nil {
			e.reply(seq, js.Undefined(), err)
			return
		}
		v := newObject()
		v.Set("payload", toJSBytes(resp.Raw()))
		v.Set("sender", peerValue(resp.Sender))
		e.reply(seq, v, nil)
	}()
}

// resolve: {req, value: Uint8Array}; reject: {req, message}. Answering a
// request already answered, or unknown, does nothing.
func (e *engine) answer(op string, msg js.Value) error {
	r := e.reqs.take(num(msg, "req", 0))
	if r == nil {
		return nil
	}
	var err error
	if op == "resolve" {
		var v []byte
		if v, err = rawOf(msg.Get("value")); err == nil {
			_, err = r.ResolveRaw(v)
		} else {
			r.Reject("ipcbus: the response could not be sent: " + err.Error())
		}
	} else {
		_, err = r.Reject(str(msg, "message"))
	}
	return err
}
