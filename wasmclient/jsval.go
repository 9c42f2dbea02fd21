//go:build js && wasm

package main

import (
	"context"
	"errors"
	"syscall/js"

	"github.com/ipcbus/ipcbus/shared/bus"
	"github.com/ipcbus/ipcbus/shared/wire"
)

var (
	jsObject     = js.Global().Get("Object")
	jsArray      = js.Global().Get("Array")
	jsUint8Array = js.Global().Get("Uint8Array")
)

func newObject() js.Value { return jsObject.New() }

// str returns v[key] as a string, or "" when it is not one.
func str(v js.Value, key string) string {
	f := v.Get(key)
	if f.Type() != js.TypeString {
		return ""
	}
	return f.String()
}

// num returns v[key] as an int, or def when it is not a number.
func num(v js.Value, key string, def int) int {
	f := v.Get(key)
	if f.Type() != js.TypeNumber {
		return def
	}
	return f.Int()
}

func flag(v js.Value, key string) bool { return v.Get(key).Truthy() }

// bytesOf copies a Uint8Array into Go.
func bytesOf(v js.Value) []byte {
	if !v.InstanceOf(jsUint8Array) {
		return nil
	}
	b := make([]byte, v.Get("byteLength").Int())
	js.CopyBytesToGo(b, v)
	return b
}

// toJSBytes copies b into a new Uint8Array.
func toJSBytes(b []byte) js.Value {
	u := jsUint8Array.New(len(b))
	js.CopyBytesToJS(u, b)
	return u
}

// processOf reads a process identity object; absent fields stay zero.
func processOf(v js.Value) bus.Process {
	if v.Type() != js.TypeObject {
		return bus.Process{}
	}
	return bus.Process{
		Type:        str(v, "type"),
		PID:         num(v, "pid", 0),
		RID:         num(v, "rid", 0),
		WCID:        num(v, "wcid", 0),
		FrameID:     num(v, "frameid", 0),
		IsMainFrame: flag(v, "isMainFrame"),
	}
}

func processValue(p bus.Process) js.Value {
	o := newObject()
	o.Set("type", p.Type)
	o.Set("pid", p.PID)
	if p.RID != 0 {
		o.Set("rid", p.RID)
	}
	if p.WCID != 0 {
		o.Set("wcid", p.WCID)
	}
	if p.FrameID != 0 {
		o.Set("frameid", p.FrameID)
	}
	if p.IsMainFrame {
		o.Set("isMainFrame", true)
	}
	return o
}

func peerValue(p bus.Peer) js.Value {
	o := newObject()
	o.Set("id", float64(p.ID))
	o.Set("name", p.Name)
	o.Set("process", processValue(p.Process))
	return o
}

// targetOf reads {peer: id} or {process: {...}}; absent, it is every listener.
func targetOf(v js.Value) bus.Target {
	if v.Type() != js.TypeObject {
		return bus.Target{}
	}
	if id := v.Get("peer"); id.Type() == js.TypeNumber && id.Float() > 0 {
		return bus.Target{Peer: uint64(id.Float())}
	}
	if p := v.Get("process"); p.Type() == js.TypeObject {
		proc := processOf(p)
		return bus.Target{Process: &proc}
	}
	return bus.Target{}
}

// argsOf joins the Uint8Arrays of msg.args, each one msgpack value, into
// the msgpack array the engine sends as it is.
func argsOf(v js.Value) ([]byte, error) {
	if v.Type() == js.TypeUndefined {
		return []byte{0x90}, nil
	}
	if !v.InstanceOf(jsArray) {
		return nil, errBadArgs
	}
	n := v.Length()
	out := wire.AppendArrayLen(nil, n)
	for i := 0; i < n; i++ {
		r, err := rawOf(v.Index(i))
		if err != nil {
			return nil, err
		}
		out = append(out, r...)
	}
	return out, nil
}

// jsError is the {code, message} object errors cross as.
func jsError(code, message string) js.Value {
	o := newObject()
	o.Set("code", code)
	o.Set("message", message)
	return o
}

// errorValue describes err for JavaScript: a stable code and the message.
// A rejection carries the responder's own message and the responder.
func errorValue(err error) js.Value {
	var rej *bus.RejectedError
	if errors.As(err, &rej) {
		o := jsError("rejected", rej.Message)
		o.Set("sender", peerValue(rej.Peer))
		return o
	}
	return jsError(errorCode(err), err.Error())
}

func errorCode(err error) string {
	var ce *wire.CloseError
	switch {
	case errors.Is(err, bus.ErrTimeout), errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.Is(err, bus.ErrNoListener):
		return "no-listener"
	case errors.Is(err, bus.ErrResponderGone):
		return "responder-gone"
	case errors.Is(err, bus.ErrFrameTooLarge):
		return "frame-too-large"
	case errors.Is(err, bus.ErrOutboundFull):
		return "outbound-full"
	case errors.Is(err, bus.ErrNotConnected):
		return "not-connected"
	case errors.Is(err, bus.ErrRefused):
		return "refused"
	case errors.As(err, &ce) && ce.Code == wire.CloseUnauthorized:
		return "unauthorized"
	case errors.Is(err, bus.ErrClosed):
		return "closed"
	case errors.Is(err, errDial):
		return "unreachable"
	}
	return "error"
}
