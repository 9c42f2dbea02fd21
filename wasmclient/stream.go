//go:build js && wasm

package main

import (
	"fmt"
	"runtime"
	"strings"

	"github.com/ipcbus/ipcbus/shared/wire"
)

// A stream transport is wsTransport over a byte stream, Node's net to a
// hub's Unix socket or TCP listener, with the frames the Go clients use:
// each preceded by its length as a 4-byte big-endian integer
// (shared/wire/stream.go). The JS side (web/src/node-stream.js) opens the
// socket and shapes it as a WebSocket for dialWS; it cuts what each read
// brings into frames, writes each one into the memory ipcbus_recv_buffer
// makes and announces it with ipcbus_recv, and runs the woken goroutines
// once per read (go._resume), not once per frame. The token goes in hello
// only: a stream has no URL to carry it.

// isStreamAddr reports whether url names a stream hub rather than a
// WebSocket: "unix:PATH" or "tcp:HOST:PORT".
func isStreamAddr(url string) bool {
	return strings.HasPrefix(url, "unix:") || strings.HasPrefix(url, "tcp:")
}

// sendBatch writes frames as one buffer of length-prefixed frames, in one
// call to JavaScript, which copies it into the socket (corked for the rest
// of the turn). It returns once the socket has it.
func (t *wsTransport) sendBatch(frames []wire.OutFrame) (err error) {
	select {
	case <-t.done:
		return t.closeErr()
	default:
	}
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("ipcbus: stream send: %v", v)
		}
	}()
	n := 0
	for _, f := range frames {
		n += 4 + len(f.Head) + len(f.Body)
	}
	b := t.joined[:0]
	if cap(b) < n {
		b = make([]byte, 0, n)
	}
	for _, f := range frames {
		b = wire.AppendStreamHeader(b, len(f.Head)+len(f.Body))
		b = append(append(b, f.Head...), f.Body...)
	}
	t.buffered = t.io.sendMem.Invoke(t.ws, addr(b), len(b)).Int()
	runtime.KeepAlive(b)
	t.joined = b[:0]
	if cap(b) > maxKeptJoin {
		t.joined = nil
	}
	return nil
}
