//go:build js && wasm

package main

import (
	"fmt"
	"sync"
	"unsafe"

	"github.com/ipcbus/ipcbus/shared/bus"
	"github.com/ipcbus/ipcbus/shared/wire"
)

// The hot entry points are wasm exports (go:wasmexport), not syscall/js
// callbacks. A callback costs the runtime a dozen property reads and
// writes on the pending event and two JS references with finalizers
// (syscall/js registers one for every object that crosses), which is
// 15-40 µs a call on a small machine; an exported function is a plain call
// with numbers. JavaScript writes the bytes into Go's memory, into a slice
// it asks the engine to make (the op's or the frame's own memory, which
// the engine keeps: no copy on the Go side), then calls the export. The
// other way, the engine hands JavaScript addresses in its memory: frames to
// send and records to decode are read where they are.
//
// An export runs Go code on its own, like a callback, but does not run the
// goroutines it wakes: JavaScript calls go._resume() after it for that
// (web/src/engine.js), as the runtime's timers do. Nothing an export
// runs waits: a request leaves from the call itself (or is queued for the
// writer), a received frame is handed to the reader.

var (
	exportsMu  sync.Mutex
	engines    []*engine
	transports = map[int32]*wsTransport{}
	nextT      int32
	opBuf      []byte // the op JavaScript writes for ipcbus_post
)

// addr is the address of b's memory in the module's linear memory (0 when
// b is empty). Go's collector does not move memory.
func addr(b []byte) uint32 {
	if len(b) == 0 {
		return 0
	}
	return uint32(uintptr(unsafe.Pointer(unsafe.SliceData(b))))
}

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

// ipcbus_op_buffer makes the n bytes where JavaScript writes the op it
// then posts with ipcbus_post, and returns their address.
//
//go:wasmexport ipcbus_op_buffer
func exportOpBuffer(n int32) uint32 {
	exportsMu.Lock()
	defer exportsMu.Unlock()
	opBuf = nil
	if n > 0 {
		opBuf = make([]byte, n)
	}
	return addr(opBuf)
}

// ipcbus_post runs the op of n bytes JavaScript wrote into the op buffer
// for engine id. It returns 0, or the length of an error {code, message}
// encoded in io.out.
//
//go:wasmexport ipcbus_post
func exportPost(id, n int32) int32 {
	e := engineByID(id)
	exportsMu.Lock()
	b := opBuf
	opBuf = nil
	exportsMu.Unlock()
	if e == nil || int(n) != len(b) {
		return 0
	}
	err := e.run(b)
	if err == nil {
		return 0
	}
	return int32(e.out.result(err))
}

// ipcbus_send is the op {op: "send", client, channel, args} without its
// msgpack map, the hot one: JavaScript writes into the op buffer the
// channel's UTF-8 (chanLen bytes), then the msgpack array of the arguments,
// n bytes in all (up to the buffer's length), and the frame leaves from
// this call as with ipcbus_post. It returns 0, or the length of an error
// {code, message} in io.out.
//
//go:wasmexport ipcbus_send
func exportSend(id, client, chanLen, n int32) int32 {
	e := engineByID(id)
	exportsMu.Lock()
	b := opBuf
	opBuf = nil
	exportsMu.Unlock()
	if e == nil {
		return 0
	}
	if chanLen < 0 || n < chanLen || int(n) > len(b) {
		return int32(e.out.result(&callError{code: "bad-call", msg: "ipcbus_send: lengths outside the op buffer"}))
	}
	channel, ok := internChannel(b[:chanLen])
	if !ok {
		return int32(e.out.result(&callError{code: "bad-call", msg: "ipcbus_send: the channel is not UTF-8"}))
	}
	err := e.sendRaw(int(client), channel, b[chanLen:n:n])
	if err == nil {
		return 0
	}
	return int32(e.out.result(err))
}

// sendRaw sends args, one msgpack array, from client id on channel.
func (e *engine) sendRaw(client int, channel string, args []byte) error {
	cs := e.client(client)
	if cs == nil {
		return errNoClient
	}
	if k, err := wire.ValueLen(args); err != nil || k != len(args) || !isArray(args) {
		return errBadArgs
	}
	return cs.cl.SendRaw(doneCtx, bus.Target{}, channel, args)
}

// ipcbus_recv_buffer makes the n bytes where JavaScript writes the next
// frame of transport id, and returns their address: 0 when there is none
// to write into (a frame over the limit, an empty one, a transport gone).
//
//go:wasmexport ipcbus_recv_buffer
func exportRecvBuffer(id, n int32) uint32 {
	exportsMu.Lock()
	t := transports[id]
	exportsMu.Unlock()
	if t == nil || n <= 0 || int64(n) > t.maxFrame.Load() {
		return 0
	}
	if t.stream { // a run of one frame (stream.go)
		t.pending = wire.AppendStreamHeader(make([]byte, 0, 4+n), int(n))[:4+n]
		return addr(t.pending) + 4
	}
	t.pending = make([]byte, n)
	return addr(t.pending)
}

// ipcbus_recv takes the frame of n bytes JavaScript wrote into the buffer
// ipcbus_recv_buffer made (n < 0: a text message).
//
//go:wasmexport ipcbus_recv
func exportRecv(id, n int32) {
	exportsMu.Lock()
	t := transports[id]
	exportsMu.Unlock()
	if t == nil {
		return
	}
	b := t.pending
	t.pending = nil
	if t.stream && n >= 0 && int64(n) <= t.maxFrame.Load() {
		if n == 0 {
			b = []byte{0, 0, 0, 0}
		}
		if len(b) == 4+int(n) {
			t.pushRun(b)
			return
		}
	}
	if n >= 0 && len(b) != int(n) {
		b = nil
		if n == 0 {
			b = []byte{}
		}
	}
	t.frame(int(n), b)
}

// ipcbus_recv_run_buffer makes the n bytes where JavaScript writes a run
// of whole frames of stream transport id (each with its length prefix,
// stream.go), and returns their address: 0 when there is none to write
// into (an empty run, a transport gone).
//
//go:wasmexport ipcbus_recv_run_buffer
func exportRecvRunBuffer(id, n int32) uint32 {
	exportsMu.Lock()
	t := transports[id]
	exportsMu.Unlock()
	if t == nil || !t.stream || n <= 0 {
		return 0
	}
	t.pending = make([]byte, n)
	return addr(t.pending)
}

// ipcbus_recv_run takes the run of n bytes JavaScript wrote into the buffer
// ipcbus_recv_run_buffer made. It returns 0, or 1 when the transport is
// closed (gone, or closed now for what the run holds).
//
//go:wasmexport ipcbus_recv_run
func exportRecvRun(id, n int32) int32 {
	exportsMu.Lock()
	t := transports[id]
	exportsMu.Unlock()
	if t == nil {
		return 1
	}
	b := t.pending
	t.pending = nil
	if len(b) != int(n) || n <= 0 {
		t.failAndClose(fmt.Errorf("%w: ipcbus_recv_run of %d bytes, not the buffer's %d", wire.ErrMalformed, n, len(b)))
		return 1
	}
	t.pushRun(b)
	select {
	case <-t.done:
		return 1
	default:
		return 0
	}
}
