//go:build !js

package stream

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/coder/websocket"
	"github.com/ipcbus/ipcbus/shared/wire"
)

// WS carries one frame per binary WebSocket message, for the hub's
// WebSocket listener and for native clients that dial it.
//
// Reads and writes without a timeout get a context that is never done:
// coder/websocket then arms no cancellation per message (a context.AfterFunc
// for each read and each frame written). Close ends a blocked read or
// write by closing the connection.
type WS struct {
	ws           *websocket.Conn
	writeTimeout time.Duration
}

// NewWS wraps ws, reading frames up to maxFrame bytes; writeTimeout, when
// positive, bounds each WriteFrames call.
func NewWS(ws *websocket.Conn, maxFrame int, writeTimeout time.Duration) *WS {
	ws.SetReadLimit(int64(maxFrame))
	return &WS{ws: ws, writeTimeout: writeTimeout}
}

// SetMaxFrame changes the largest frame ReadFrame accepts.
func (t *WS) SetMaxFrame(n int) { t.ws.SetReadLimit(int64(n)) }

// ReadFrame returns the next frame, in memory the caller may keep. A
// message over the limit returns an error wrapping wire.ErrFrameTooLarge, a
// text message one wrapping wire.ErrMalformed, a close with status normal
// or going away io.EOF.
func (t *WS) ReadFrame() ([]byte, error) {
	typ, b, err := t.ws.Read(context.Background())
	if err != nil {
		if errors.Is(err, websocket.ErrMessageTooBig) {
			return nil, fmt.Errorf("%w: %v", wire.ErrFrameTooLarge, err)
		}
		switch websocket.CloseStatus(err) {
		case websocket.StatusNormalClosure, websocket.StatusGoingAway:
			// The other side closed as a socket does at its end (a tab
			// closed, a page left): io.EOF, as on a stream.
			return nil, io.EOF
		}
		return nil, err
	}
	if typ != websocket.MessageBinary {
		return nil, fmt.Errorf("%w: text message", wire.ErrMalformed)
	}
	return b, nil
}

// WriteFrames writes each frame as one binary message.
func (t *WS) WriteFrames(frames []wire.OutFrame) error {
	ctx := context.Background()
	if t.writeTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, t.writeTimeout)
		defer cancel()
	}
	for _, f := range frames {
		if err := t.write(ctx, f); err != nil {
			return err
		}
	}
	return nil
}

// joinMax bounds the two-piece frames joined into one buffer (from
// joinBufs, shared by the connections) before they are written: a message
// written in pieces goes out as that many WebSocket frames, which the
// browser reassembles; larger ones are not worth the copy.
const joinMax = 64 << 10

var joinBufs = sync.Pool{New: func() any { return new([]byte) }}

func (t *WS) write(ctx context.Context, f wire.OutFrame) error {
	if len(f.Body) == 0 {
		return t.ws.Write(ctx, websocket.MessageBinary, f.Head)
	}
	if f.Len() <= joinMax {
		buf := joinBufs.Get().(*[]byte)
		*buf = append(append((*buf)[:0], f.Head...), f.Body...)
		err := t.ws.Write(ctx, websocket.MessageBinary, *buf)
		joinBufs.Put(buf)
		return err
	}
	w, err := t.ws.Writer(ctx, websocket.MessageBinary)
	if err != nil {
		return err
	}
	if _, err := w.Write(f.Head); err != nil {
		return err
	}
	if _, err := w.Write(f.Body); err != nil {
		return err
	}
	return w.Close()
}

// Close closes the connection at once.
func (t *WS) Close() error {
	return t.ws.CloseNow()
}
