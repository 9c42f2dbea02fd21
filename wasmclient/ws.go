//go:build js && wasm

package main

import (
	"context"
	"errors"
	"fmt"
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

// wsTransport is a bus.Transport over the browser's WebSocket: one frame
// per binary message.
type wsTransport struct {
	ws       js.Value
	frames   chan []byte
	maxFrame atomic.Int64

	once   sync.Once
	done   chan struct{} // closed when the socket is closed or failed
	mu     sync.Mutex
	err    error // why it closed
	funcs  []js.Func
	opened chan struct{}
}

// wsDialer dials url (token included) with the ipcbus subprotocol.
func wsDialer(url string) bus.Dialer {
	return func(ctx context.Context) (bus.Transport, error) { return dialWS(ctx, url) }
}

func dialWS(ctx context.Context, url string) (*wsTransport, error) {
	t := &wsTransport{
		frames: make(chan []byte, recvQueue),
		done:   make(chan struct{}),
		opened: make(chan struct{}),
	}
	t.maxFrame.Store(wire.DefaultMaxFrameBytes + wire.FrameOverheadBytes)
	ws, err := newWebSocket(url)
	if err != nil {
		return nil, err
	}
	t.ws = ws
	ws.Set("binaryType", "arraybuffer")
	t.on("open", func(js.Value) { close(t.opened) })
	t.on("message", t.onMessage)
	t.on("close", func(ev js.Value) {
		code, reason := ev.Get("code").Int(), ev.Get("reason").String()
		t.fail(fmt.Errorf("ipcbus: websocket closed (code %d) %s", code, reason))
	})
	select {
	case <-t.opened:
	case <-t.done:
		return nil, errDial
	case <-ctx.Done():
		t.Close()
		return nil, ctx.Err()
	}
	if p := ws.Get("protocol").String(); p != wire.Subprotocol {
		t.Close()
		return nil, fmt.Errorf("ipcbus: the server chose subprotocol %q, not %s", p, wire.Subprotocol)
	}
	return t, nil
}

// newWebSocket calls the constructor, which throws on a malformed URL.
func newWebSocket(url string) (ws js.Value, err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("ipcbus: websocket: %v", v)
		}
	}()
	return js.Global().Get("WebSocket").New(url, wire.Subprotocol), nil
}

func (t *wsTransport) on(event string, fn func(js.Value)) {
	f := js.FuncOf(func(_ js.Value, args []js.Value) any {
		fn(args[0])
		return nil
	})
	t.funcs = append(t.funcs, f)
	t.ws.Set("on"+event, f)
}

// onMessage runs in a JS callback: it must not block.
func (t *wsTransport) onMessage(ev js.Value) {
	data := ev.Get("data")
	if !data.InstanceOf(js.Global().Get("ArrayBuffer")) {
		t.failAndClose(fmt.Errorf("%w: text message from the hub", wire.ErrMalformed))
		return
	}
	n := data.Get("byteLength").Int()
	if int64(n) > t.maxFrame.Load() {
		t.failAndClose(fmt.Errorf("%w: %d bytes from the hub", wire.ErrFrameTooLarge, n))
		return
	}
	b := make([]byte, n)
	js.CopyBytesToGo(b, jsUint8Array.New(data))
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
	select {
	case b := <-t.frames:
		return b, nil
	default:
	}
	select {
	case b := <-t.frames:
		return b, nil
	case <-t.done:
		select {
		case b := <-t.frames:
			return b, nil
		default:
		}
		return nil, t.closeErr()
	}
}

// WriteFrames sends each frame as one message, waiting while the browser
// holds more than sendHighWater bytes not yet sent.
func (t *wsTransport) WriteFrames(frames []wire.OutFrame) error {
	for _, f := range frames {
		if err := t.waitRoom(); err != nil {
			return err
		}
		if err := t.send(f); err != nil {
			return err
		}
	}
	return nil
}

func (t *wsTransport) waitRoom() error {
	delay := time.Millisecond
	for t.ws.Get("bufferedAmount").Int() > sendHighWater {
		select {
		case <-t.done:
			return t.closeErr()
		case <-time.After(delay):
		}
		delay = min(2*delay, 50*time.Millisecond)
	}
	return nil
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
		b = append(append(make([]byte, 0, f.Len()), f.Head...), f.Body...)
	}
	t.ws.Call("send", toJSBytes(b))
	return nil
}

func (t *wsTransport) fail(err error) {
	t.once.Do(func() {
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
