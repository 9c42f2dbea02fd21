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

// jsError is the {code, message} object errors cross as.
func jsError(code, message string) js.Value {
	o := newObject()
	o.Set("code", code)
	o.Set("message", message)
	return o
}

// describeError describes err for JavaScript: a stable code and the
// message. A rejection carries the responder's own message and the
// responder.
func describeError(err error) (code, message string, sender *bus.Peer) {
	var rej *bus.RejectedError
	if errors.As(err, &rej) {
		return "rejected", rej.Message, &rej.Peer
	}
	return errorCode(err), err.Error(), nil
}

// callError is an op JavaScript got wrong.
type callError struct{ code, msg string }

func (e *callError) Error() string { return e.msg }

func errorCode(err error) string {
	var ce *wire.CloseError
	var call *callError
	switch {
	case errors.As(err, &call):
		return call.code
	case errors.Is(err, bus.ErrTimeout), errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.Is(err, bus.ErrDisconnected):
		return "disconnected"
	case errors.Is(err, bus.ErrReconnectBufferFull):
		return "reconnect-buffer-full"
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
	case errors.Is(err, errDial): // before closed: the reason a connection ended
		return "unreachable"
	case errors.Is(err, bus.ErrClosed):
		return "closed"
	}
	return "error"
}
