//go:build js && wasm

package main

import (
	"fmt"
	"runtime"
	"sync"
	"syscall/js"

	"github.com/ipcbus/ipcbus/shared/bus"
)

// outbox hands the engine's messages to JavaScript, in order, each as a
// msgpack record read by io.recordMem(addr, n) where it is in Go's memory.
// JavaScript decodes it at once and queues it; the queue goes to the JS
// side in a microtask, that is once Go has returned to JavaScript: once
// every woken goroutine (the dispatcher among them) is idle again. A
// delivery to a JS client is one "event" record; JavaScript calls the
// client's listeners of its channel.
type outbox struct {
	io        js.Value
	recordMem js.Value                    // io.recordMem(addr, n): the record in Go's memory (exports.go)
	ports     func([]*bus.Port) []portRef // describes an event's ports (ports.go)

	mu      sync.Mutex
	buf     js.Value // io.out, for the results of exported calls; it grows to fit them
	size    int
	scratch rec
}

const minOut = 4 << 10

func newOutbox(io js.Value) *outbox {
	o := &outbox{io: io, recordMem: io.Get("recordMem")}
	o.setBuf(minOut)
	return o
}

func (o *outbox) setBuf(size int) {
	o.buf = jsUint8Array.New(size)
	o.size = size
	o.io.Set("out", o.buf)
}

// sendLocked hands r to JavaScript. Call with o.mu held.
func (o *outbox) sendLocked(r rec) {
	defer func() {
		if v := recover(); v != nil {
			println("ipcbus: client.wasm: delivering a record threw:", fmt.Sprint(v))
		}
	}()
	o.recordMem.Invoke(addr(r), len(r))
	runtime.KeepAlive(r)
}

// result puts err, as {code, message}, in io.out without announcing it:
// what an exported call returns (exports.go). It returns its length.
func (o *outbox) result(err error) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	code, msg, _ := describeError(err)
	o.scratch = o.scratch[:0].mapLen(2).str("code", code).str("message", msg)
	if n := len(o.scratch); n > o.size {
		o.setBuf(max(2*o.size, n))
	}
	js.CopyBytesToJS(o.buf, o.scratch)
	return len(o.scratch)
}

// push hands over the record fill builds.
func (o *outbox) push(fill func(rec) rec) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.scratch = fill(o.scratch[:0])
	o.sendLocked(o.scratch)
}

// event hands delivery ev to client cid.
func (o *outbox) event(cid int, ev *bus.Event, reqs *requestTable) {
	o.mu.Lock()
	defer o.mu.Unlock()
	var ports []portRef
	if len(ev.Ports) > 0 && o.ports != nil {
		ports = o.ports(ev.Ports)
	}
	n := 5
	if ev.To != 0 {
		n++
	}
	if ev.Request != nil {
		n++
	}
	if ports != nil {
		n++
	}
	r := o.scratch[:0].mapLen(n).str("op", "event").str("channel", ev.Channel).int("client", cid).
		peer("sender", ev.Sender).bin("args", ev.RawArgs())
	if ev.To != 0 {
		r = r.num("to", float64(ev.To))
	}
	if ev.Request != nil {
		r = r.int("req", reqs.add(ev.Request, cid))
	}
	if ports != nil {
		r = appendPorts(r.key("ports"), ports)
	}
	o.scratch = r
	o.sendLocked(r)
}
