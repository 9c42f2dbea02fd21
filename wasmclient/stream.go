//go:build js && wasm

package main

import (
	"encoding/binary"
	"errors"
	"fmt"
	"runtime"
	"strings"

	"github.com/ipcbus/ipcbus/shared/wire"
)

// A stream transport is wsTransport over a byte stream, Node's net to a
// hub's Unix socket or TCP listener, with the frames the Go clients use:
// each preceded by its length as a 4-byte big-endian integer
// (shared/wire/stream.go). The JS side (web/src/node/stream.js) opens the
// socket and shapes it as a WebSocket for dialWS. Of each read, it hands
// the complete frames in one piece, prefixes and all (a run: one copy and
// one call, ipcbus_recv_run), and a frame that spans reads on its own
// (ipcbus_recv_buffer, ipcbus_recv), which the engine keeps as a run of
// one; it runs the woken goroutines once per read (go._resume), not once
// per frame. The reader takes the frames of a run in order, as slices of
// its memory (no copy). The token goes in hello only: a stream has no URL
// to carry it.

// isStreamAddr reports whether url names a stream hub rather than a
// WebSocket: "unix:PATH" or "tcp:HOST:PORT".
func isStreamAddr(url string) bool {
	return strings.HasPrefix(url, "unix:") || strings.HasPrefix(url, "tcp:")
}

// sendBatch writes frames as length-prefixed frames, in one call to
// JavaScript, which copies them into the socket (corked for the rest of
// the turn), but for bodies of bigBody bytes or more: each goes in a call
// of its own, from where it is, not joined first. It returns once the
// socket has them.
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
		n += 4 + len(f.Head)
		if len(f.Body) < bigBody {
			n += len(f.Body)
		}
	}
	b := t.joined[:0]
	if cap(b) < n {
		b = make([]byte, 0, n)
	}
	for _, f := range frames {
		b = wire.AppendStreamHeader(b, len(f.Head)+len(f.Body))
		b = append(b, f.Head...)
		if len(f.Body) < bigBody {
			b = append(b, f.Body...)
			continue
		}
		t.sendMem(b)
		t.sendMem(f.Body)
		b = b[:0]
	}
	if len(b) > 0 {
		t.sendMem(b)
	}
	t.joined = b[:0]
	if cap(b) > maxKeptJoin {
		t.joined = nil
	}
	return nil
}

// bigBody is the size from which sendBatch hands a body on its own.
const bigBody = 64 << 10

// sendMem hands JavaScript the bytes of b, which it copies at once.
func (t *wsTransport) sendMem(b []byte) {
	t.buffered = t.io.sendMem.Invoke(t.ws, addr(b), len(b)).Int()
	runtime.KeepAlive(b)
}

// drained is told when a stream's socket has sent all it held ('drain'),
// for waitRoom.
func (t *wsTransport) drained() {
	select {
	case t.drain <- struct{}{}:
	default:
	}
}

// pushRun checks the length prefixes of run, a run of whole frames, and
// queues it for the reader; a frame over the limit or a run that does not
// end with a frame closes the transport. It never blocks.
func (t *wsTransport) pushRun(run []byte) {
	max := t.maxFrame.Load()
	for rest := run; len(rest) > 0; {
		if len(rest) < 4 {
			t.failAndClose(fmt.Errorf("%w: a cut frame from the hub", wire.ErrMalformed))
			return
		}
		n := int64(binary.BigEndian.Uint32(rest))
		if n > max {
			t.failAndClose(fmt.Errorf("%w: %d bytes from the hub", wire.ErrFrameTooLarge, n))
			return
		}
		if n > int64(len(rest)-4) {
			t.failAndClose(fmt.Errorf("%w: a cut frame from the hub", wire.ErrMalformed))
			return
		}
		rest = rest[4+n:]
	}
	select {
	case t.frames <- run:
	default:
		t.failAndClose(errors.New("ipcbus: stream: receive queue full"))
	}
}

// unwrap returns the next frame of a stream's run b (pushRun checked it),
// keeping the rest for the next ReadFrame; a WebSocket's b is the frame.
func (t *wsTransport) unwrap(b []byte) ([]byte, error) {
	if !t.stream {
		return b, nil
	}
	t.run = b
	return t.nextInRun()
}

func (t *wsTransport) nextInRun() ([]byte, error) {
	r := t.run
	if len(r) < 4 || int(binary.BigEndian.Uint32(r)) > len(r)-4 {
		t.run = nil
		return nil, fmt.Errorf("%w: a cut frame from the hub", wire.ErrMalformed)
	}
	n := 4 + int(binary.BigEndian.Uint32(r))
	t.run = r[n:]
	return r[4:n:n], nil
}
