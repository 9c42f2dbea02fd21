//go:build js && wasm

package main

import (
	"sync"
	"unsafe"
)

// The hot entry points are wasm exports (go:wasmexport), not syscall/js
// callbacks. A callback costs the runtime a dozen property reads and
// writes on the pending event and two JS references with finalizers
// (syscall/js registers one for every object that crosses), which is
// 15-40 µs a call on a small machine; an exported function is a plain call
// with numbers. JavaScript writes the bytes into Go's memory at an address
// it asks for, then calls the export.
//
// An export runs Go code on its own, like a callback, but does not run the
// goroutines it wakes: JavaScript calls go._resume() after it for that
// (web/ipcbus-preload.js), as the runtime's timers do. Nothing an export
// runs waits: a request leaves from the call itself (or is queued for the
// writer), a received frame is handed to the reader.

var (
	exportsMu  sync.Mutex
	engines    []*engine
	transports = map[int32]*wsTransport{}
	nextT      int32
	opBuf      []byte // where JavaScript writes an op for ipcbus_post
)

// register gives an engine its id for the exports.
func register(e *engine) int32 {
	exportsMu.Lock()
	defer exportsMu.Unlock()
	engines = append(engines, e)
	return int32(len(engines))
}

func engineByID(id int32) *engine {
	exportsMu.Lock()
	defer exportsMu.Unlock()
	if id < 1 || int(id) > len(engines) {
		return nil
	}
	return engines[id-1]
}

// registerTransport gives a transport its id for ipcbus_recv.
func registerTransport(t *wsTransport) int32 {
	exportsMu.Lock()
	defer exportsMu.Unlock()
	nextT++
	transports[nextT] = t
	return nextT
}

func forgetTransport(id int32) {
	exportsMu.Lock()
	defer exportsMu.Unlock()
	delete(transports, id)
}

// ipcbus_op_buffer returns the address of at least size bytes where
// JavaScript writes the op it then posts with ipcbus_post.
//
//go:wasmexport ipcbus_op_buffer
func exportOpBuffer(size int32) uint32 {
	exportsMu.Lock()
	defer exportsMu.Unlock()
	if cap(opBuf) < int(size) || opBuf == nil {
		opBuf = make([]byte, max(int(size), 4<<10))
	}
	return uint32(uintptr(unsafe.Pointer(unsafe.SliceData(opBuf))))
}

// ipcbus_post runs the op of n bytes JavaScript wrote at the op buffer for
// engine id. It returns 0, or the length of an error {code, message}
// encoded in io.out.
//
//go:wasmexport ipcbus_post
func exportPost(id, n int32) int32 {
	e := engineByID(id)
	exportsMu.Lock()
	if e == nil || n < 0 || int(n) > len(opBuf) {
		exportsMu.Unlock()
		return 0
	}
	b := make([]byte, n)
	copy(b, opBuf)
	exportsMu.Unlock()
	err := e.run(b)
	if err == nil {
		return 0
	}
	return int32(e.out.result(err))
}

// ipcbus_recv takes the frame of n bytes JavaScript wrote into the receive
// buffer of transport id.
//
//go:wasmexport ipcbus_recv
func exportRecv(id, n int32) {
	exportsMu.Lock()
	t := transports[id]
	exportsMu.Unlock()
	if t == nil || n < 0 || int(n) > len(t.inGo) {
		return
	}
	t.frame(int(n), append([]byte(nil), t.inGo[:n]...))
}
