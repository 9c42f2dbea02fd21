//go:build js && wasm

package main

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall/js"
	"time"

	"github.com/ipcbus/ipcbus/shared/bus"
	"github.com/ipcbus/ipcbus/shared/wire"
)

// The browser's WebSocket buffers without bound; WriteFrames waits while
// more than sendHighWater bytes are buffered. recvQueue bounds the frames
// waiting for the reader goroutine, which drains them before the browser
// can deliver the next message (Go runs every woken goroutine before it
// returns to JavaScript), so it never fills unless the engine is stuck.
const (
	sendHighWater = 4 << 20
	recvQueue     = 256
)

var errDial = errors.New("ipcbus: websocket refused or unreachable (bad token or origin, or no hub at that address)")

// wsIO is what the transport uses of the engine's io object: functions
// that move frames between the socket and Go's memory, so that a frame
// crosses as a copy and a call with numbers, never as a JS object built
// per message.
type wsIO struct {
	// sendMem(ws, addr, n) sends the n bytes at addr in Go's memory and
	// returns the socket's bufferedAmount.
	sendMem js.Value
	// listen(ws, id) hands each message to the engine, written into the
	// memory ipcbus_recv_buffer(id, n) makes and announced with
	// ipcbus_recv(id, n) (n = -1: a text message): exports.go.
	listen js.Value
	// webSocket is the WebSocket constructor (io.WebSocket: the ws package
	// under Node), else the global one.
	webSocket js.Value
	// streamOpen(url) opens a byte stream to a "unix:PATH" or
	// "tcp:HOST:PORT" hub (Node's net) and returns it shaped as a WebSocket
	// (onopen, onclose, bufferedAmount, close), whose listen cuts the bytes
	// into frames: stream.go.
	streamOpen js.Value
}

func newWSIO(io js.Value) *wsIO {
	w := &wsIO{sendMem: io.Get("wsSendMem"), listen: io.Get("wsListen"),
		webSocket: io.Get("WebSocket"), streamOpen: io.Get("streamOpen")}
	if w.webSocket.Type() != js.TypeFunction {
		w.webSocket = js.Global().Get("WebSocket")
	}
	return w
}

// wsTransport is a bus.Transport over the browser's WebSocket: one frame
// per binary message.
type wsTransport struct {
	ws       js.Value
	io       *wsIO
	id       int32       // for ipcbus_recv (exports.go)
	pending  []byte      // the frame ipcbus_recv_buffer made, until ipcbus_recv
	frames   chan []byte // frames; a stream's: runs of frames (stream.go)
	run      []byte      // the reader's: what is left of a stream's run
	maxFrame atomic.Int64

	// the writer's: the buffer that joins a frame's pieces, and the
	// socket's bufferedAmount after the last send
	joined   []byte
	buffered int

	// stream: a byte stream of length-prefixed frames (stream.go), not a
	// WebSocket; drain is told when its socket has sent all it held
	stream bool
	drain  chan struct{}

	once   sync.Once
	done   chan struct{} // closed when the socket is closed or failed
	mu     sync.Mutex
	err    error // why it closed
	funcs  []js.Func
	opened chan struct{}
}

// wsDialer dials url: a WebSocket URL (token included) with the ipcbus
// subprotocol, or a stream address (stream.go).
func wsDialer(url string, io *wsIO) bus.Dialer {
	return func(ctx context.Context) (bus.Transport, error) { return dialWS(ctx, url, io) }
}

func dialWS(ctx context.Context, url string, io *wsIO) (*wsTransport, error) {
	stream := isStreamAddr(url)
	if stream && io.streamOpen.Type() != js.TypeFunction {
		return nil, errors.New("ipcbus: " + url + ": a stream address needs io.streamOpen (Node)")
	}
	t := &wsTransport{
		io:     io,
		frames: make(chan []byte, recvQueue),
		done:   make(chan struct{}),
		opened: make(chan struct{}),
		stream: stream,
	}
	t.maxFrame.Store(wire.DefaultMaxFrameBytes + wire.FrameOverheadBytes)
	ws, err := newSocket(url, io, stream)
	if err != nil {
		return nil, err
	}
	t.ws = ws
	if !stream {
		ws.Set("binaryType", "arraybuffer")
	}
	t.on("open", func(js.Value) { close(t.opened) })
	if stream {
		t.drain = make(chan struct{}, 1)
		t.on("drain", func(js.Value) { t.drained() })
	}
	t.id = registerTransport(t)
	io.listen.Invoke(ws, t.id)
	t.on("close", func(ev js.Value) {
		code, reason := ev.Get("code").Int(), ev.Get("reason").String()
		t.fail(fmt.Errorf("ipcbus: %s closed (code %d) %s", t.kind(), code, reason))
	})
	select {
	case <-t.opened:
	case <-t.done:
		if stream {
			return nil, fmt.Errorf("ipcbus: %s: %w", url, t.closeErr())
		}
		if st := ws.Get("refusedStatus"); st.Type() == js.TypeNumber && (st.Int() == 401 || st.Int() == 403) {
			// Node's ws says why (web/src/node/link.js): a bad token
			// stays bad, so a reconnect stops here.
			return nil, bus.Terminal(fmt.Errorf("%w (HTTP %d)", errDial, st.Int()))
		}
		return nil, errDial
	case <-ctx.Done():
		t.Close()
		return nil, ctx.Err()
	}
	if p := ws.Get("protocol").String(); !stream && p != wire.Subprotocol {
		t.Close()
		return nil, fmt.Errorf("ipcbus: the server chose subprotocol %q, not %s", p, wire.Subprotocol)
	}
	return t, nil
}

// newSocket calls the WebSocket constructor, or io.streamOpen for a stream
// address; both throw on a malformed address.
func newSocket(url string, io *wsIO, stream bool) (ws js.Value, err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("ipcbus: %s: %v", url, v)
		}
	}()
	if stream {
		return io.streamOpen.Invoke(url), nil
	}
	if io.webSocket.Type() != js.TypeFunction {
		return js.Value{}, errors.New("ipcbus: no WebSocket here (under Node, the ws package)")
	}
	return io.webSocket.New(url, wire.Subprotocol), nil
}

func (t *wsTransport) kind() string {
	if t.stream {
		return "stream"
	}
	return "websocket"
}

func (t *wsTransport) on(event string, fn func(js.Value)) {
	f := js.FuncOf(func(_ js.Value, args []js.Value) any {
		fn(args[0])
		return nil
	})
	t.funcs = append(t.funcs, f)
	t.ws.Set("on"+event, f)
}

// frame takes a message of n bytes from the hub (n < 0: a text message):
// b, for the reader. It never blocks.
func (t *wsTransport) frame(n int, b []byte) {
	if n < 0 {
		t.failAndClose(fmt.Errorf("%w: text message from the hub", wire.ErrMalformed))
		return
	}
	if int64(n) > t.maxFrame.Load() {
		t.failAndClose(fmt.Errorf("%w: %d bytes from the hub", wire.ErrFrameTooLarge, n))
		return
	}
	select {
	case t.frames <- b:
	default:
		t.failAndClose(errors.New("ipcbus: websocket: receive queue full"))
	}
}

// SetMaxFrame bounds the frames read from now on.
func (t *wsTransport) SetMaxFrame(n int) { t.maxFrame.Store(int64(n)) }

// ReadFrame returns the next frame; frames received before the socket
// closed are still returned, then the reason it closed.
func (t *wsTransport) ReadFrame() ([]byte, error) {
	if len(t.run) > 0 {
		return t.nextInRun()
	}
	select {
	case b := <-t.frames:
		return t.unwrap(b)
	default:
	}
	select {
	case b := <-t.frames:
		return t.unwrap(b)
	case <-t.done:
		select {
		case b := <-t.frames:
			return t.unwrap(b)
		default:
		}
		return nil, t.closeErr()
	}
}

// WriteFrames sends each frame as one message. It first waits while the
// browser holds more than sendHighWater bytes not yet sent, then sends the
// whole batch: a write that starts never waits (WriteWouldNotWait).
func (t *wsTransport) WriteFrames(frames []wire.OutFrame) error {
	if err := t.waitRoom(); err != nil {
		return err
	}
	if t.stream {
		return t.sendBatch(frames)
	}
	for _, f := range frames {
		if err := t.send(f); err != nil {
			return err
		}
	}
	return nil
}

// WriteWouldNotWait tells the connection (bus.Conn) that WriteFrames
// would not wait now, so that it may write from a JS callback.
func (t *wsTransport) WriteWouldNotWait() bool { return t.buffered <= sendHighWater }

// waitRoom waits while the socket holds more than sendHighWater bytes; it
// asks the socket only when the last send left it over.
func (t *wsTransport) waitRoom() error {
	if t.buffered <= sendHighWater {
		return nil
	}
	delay := time.Millisecond
	for {
		if t.buffered = t.ws.Get("bufferedAmount").Int(); t.buffered <= sendHighWater {
			return nil
		}
		select {
		case <-t.done:
			return t.closeErr()
		case <-t.drain: // a stream's (nil for a WebSocket)
		case <-time.After(delay):
		}
		delay = min(2*delay, 50*time.Millisecond)
	}
}

func (t *wsTransport) send(f wire.OutFrame) (err error) {
	select {
	case <-t.done:
		return t.closeErr()
	default:
	}
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("ipcbus: websocket send: %v", v)
		}
	}()
	b := f.Head
	if len(f.Body) > 0 {
		t.joined = append(append(t.joined[:0], f.Head...), f.Body...)
		b = t.joined
		if cap(t.joined) > maxKeptJoin {
			t.joined = nil
		}
	}
	t.buffered = t.io.sendMem.Invoke(t.ws, addr(b), len(b)).Int()
	runtime.KeepAlive(b)
	return nil
}

// maxKeptJoin bounds the buffer kept for joining two-piece frames.
const maxKeptJoin = 1 << 20

func (t *wsTransport) fail(err error) {
	t.once.Do(func() {
		forgetTransport(t.id)
		t.mu.Lock()
		t.err = err
		t.mu.Unlock()
		close(t.done)
	})
}

func (t *wsTransport) failAndClose(err error) {
	t.fail(err)
	code := wire.CloseProtocolError
	if errors.Is(err, wire.ErrFrameTooLarge) {
		code = wire.CloseFrameTooLarge
	}
	t.closeSocket(int(code))
}

func (t *wsTransport) closeErr() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.err
}

func (t *wsTransport) closeSocket(code int) {
	defer func() { recover() }() // close() throws only on a code outside 1000, 3000-4999
	t.ws.Call("close", code)
}

// Close closes the socket; ReadFrame and WriteFrames return at once.
func (t *wsTransport) Close() error {
	t.fail(bus.ErrClosed)
	t.closeSocket(1000)
	return nil
}
