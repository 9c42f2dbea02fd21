//go:build js && wasm

package main

import (
	"fmt"
	"sync"
	"syscall/js"

	"github.com/ipcbus/ipcbus/shared/bus"
)

// outbox batches the engine's messages to JavaScript and hands them over
// in a microtask, in order. The microtask runs once Go has returned to
// JavaScript, that is once every woken goroutine (the dispatcher among
// them) is idle again, so the listener calls of one delivery always end up
// in one "event" message carrying their ids in calling order: the JS side
// resolves the ids to functions before it calls any, which gives Node's
// snapshot semantics (a listener removed during an emit still runs in it).
type outbox struct {
	deliver js.Value
	flush   js.Func
	ports   func([]*bus.Port) js.Value // describes an event's ports (ports.go)

	mu        sync.Mutex
	entries   []*entry
	scheduled bool
}

type entry struct {
	msg js.Value
	// an event: one delivery to one client, and the listeners it called
	ev  *bus.Event
	cid int
	ids []any
}

func newOutbox(deliver js.Value) *outbox {
	o := &outbox{deliver: deliver}
	o.flush = js.FuncOf(func(js.Value, []js.Value) any {
		o.run()
		return nil
	})
	return o
}

// push queues a message.
func (o *outbox) push(msg js.Value) {
	o.mu.Lock()
	o.entries = append(o.entries, &entry{msg: msg})
	o.scheduleLocked()
	o.mu.Unlock()
}

// event records that listener lid of client cid was called with ev. The
// first call of a delivery builds its message; the next ones add their id.
func (o *outbox) event(cid, lid int, ev *bus.Event, reqs *requestTable) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if n := len(o.entries); n > 0 {
		if last := o.entries[n-1]; last.ev == ev && last.cid == cid {
			last.ids = append(last.ids, lid)
			return
		}
	}
	m := message("event", "channel", ev.Channel)
	m.Set("client", cid)
	m.Set("sender", peerValue(ev.Sender))
	m.Set("args", toJSBytes(ev.RawArgs()))
	if ev.To != 0 {
		m.Set("to", float64(ev.To))
	}
	if ev.Request != nil {
		m.Set("req", reqs.add(ev.Request))
	}
	if len(ev.Ports) > 0 && o.ports != nil {
		m.Set("ports", o.ports(ev.Ports))
	}
	o.entries = append(o.entries, &entry{msg: m, ev: ev, cid: cid, ids: []any{lid}})
	o.scheduleLocked()
}

func (o *outbox) scheduleLocked() {
	if !o.scheduled {
		o.scheduled = true
		js.Global().Call("queueMicrotask", o.flush)
	}
}

// run hands everything queued to JavaScript as one array.
func (o *outbox) run() {
	o.mu.Lock()
	entries := o.entries
	o.entries = nil
	o.scheduled = false
	o.mu.Unlock()
	if len(entries) == 0 {
		return
	}
	batch := jsArray.New(len(entries))
	for i, en := range entries {
		if en.ids != nil {
			en.msg.Set("ids", js.ValueOf(en.ids))
		}
		batch.SetIndex(i, en.msg)
	}
	defer func() {
		if v := recover(); v != nil {
			println("ipcbus: client.wasm: deliver threw:", fmt.Sprint(v))
		}
	}()
	o.deliver.Invoke(batch)
}

// message returns {op, key: value}.
func message(op, key string, value any) js.Value {
	m := newObject()
	m.Set("op", op)
	m.Set(key, value)
	return m
}
