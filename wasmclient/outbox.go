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
// msgpack record: read by io.recordMem(addr, n) where it is in Go's memory
// (with the exports: exports.go), else copied into io.out and announced
// with io.record(n). JavaScript decodes it at once and queues it; the queue goes to the JS
// side in a microtask, that is once Go has returned to JavaScript: once
// every woken goroutine (the dispatcher among them) is idle again. A
// delivery to a JS client is one "event" record; JavaScript calls the
// client's listeners of its channel.
type outbox struct {
	io        js.Value
	record    js.Value                    // io.record(n[, bytes])
	recordMem js.Value                    // io.recordMem(addr, n): the record in Go's memory (exports.go)
	mem       bool                        // use recordMem
	ports     func([]*bus.Port) []portRef // describes an event's ports (ports.go)

	mu      sync.Mutex
	buf     js.Value // io.out
	size    int
	scratch rec
}

// Records up to maxOut bytes go through io.out, which grows to fit them;
// larger ones get a Uint8Array of their own.
const (
	minOut = 4 << 10
	maxOut = 1 << 20
)

func newOutbox(io js.Value) *outbox {
	o := &outbox{io: io, record: io.Get("record"), recordMem: io.Get("recordMem"), mem: io.Get("exports").Truthy()}
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
	n := len(r)
	if o.mem {
		o.recordMem.Invoke(addr(r), n)
		runtime.KeepAlive(r)
		return
	}
	if n > o.size && n <= maxOut {
		size := o.size
		for size < n {
			size *= 2
		}
		o.setBuf(size)
	}
	if n > o.size {
		o.record.Invoke(n, toJSBytes(r))
		return
	}
	js.CopyBytesToJS(o.buf, r)
	o.record.Invoke(n)
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
