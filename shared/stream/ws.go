//go:build !js

package stream

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
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
	cork         *CorkConn // the connection under ws, if it is one: see SetCork
	slab         []byte    // the reader's: messages are read into [..w]
	w            int
	pool         *Pool // large messages are read into its buffers; nil: fresh memory
	slabBuf      *Buf  // the pool's buffer the slab is, holding one large message being read
	last         *Buf  // the pool's buffer of the message last returned, until TakeBuf
}

// SetPool makes ReadFrame read messages larger than 64 KiB into buffers
// of p, as Conn.SetPool does: such a frame is then the caller's only
// until the next ReadFrame unless it calls TakeBuf first.
func (t *WS) SetPool(p *Pool) { t.pool = p }

// TakeBuf returns the pool's buffer that holds the frame ReadFrame last
// returned, with one reference for the caller, or nil (see Conn.TakeBuf).
func (t *WS) TakeBuf() *Buf {
	b := t.last
	t.last = nil
	return b
}

// NewWS wraps ws, reading frames up to maxFrame bytes; writeTimeout, when
// positive, bounds each WriteFrames call.
func NewWS(ws *websocket.Conn, maxFrame int, writeTimeout time.Duration) *WS {
	ws.SetReadLimit(int64(maxFrame))
	return &WS{ws: ws, writeTimeout: writeTimeout}
}

// DialWS opens a WebSocket to url as websocket.Dial does (opts may be
// nil), over a connection that WriteFrames corks (see SetCork), and wraps
// it as NewWS does.
func DialWS(ctx context.Context, url string, opts *websocket.DialOptions, maxFrame int, writeTimeout time.Duration) (*WS, *http.Response, error) {
	var o websocket.DialOptions
	if opts != nil {
		o = *opts
	}
	var cc atomic.Pointer[CorkConn]
	tr := http.DefaultTransport.(*http.Transport).Clone()
	dial := (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		nc, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		c := NewCorkConn(nc)
		cc.Store(c)
		return c, nil
	}
	o.HTTPClient = &http.Client{Transport: tr}
	ws, resp, err := websocket.Dial(ctx, url, &o)
	if err != nil {
		return nil, resp, err
	}
	t := NewWS(ws, maxFrame, writeTimeout)
	t.SetCork(cc.Load())
	return t, resp, nil
}

// SetCork says that c is the connection under the WebSocket: WriteFrames
// then corks it around each batch, so that a batch of messages is one
// write rather than one per message.
func (t *WS) SetCork(c *CorkConn) { t.cork = c }

// SetMaxFrame changes the largest frame ReadFrame accepts.
func (t *WS) SetMaxFrame(n int) { t.ws.SetReadLimit(int64(n)) }

// ReadFrame returns the next frame, in memory the caller may keep. A
// message over the limit returns an error wrapping wire.ErrFrameTooLarge, a
// text message one wrapping wire.ErrMalformed, a close with status normal
// or going away io.EOF.
func (t *WS) ReadFrame() ([]byte, error) {
	t.last = nil
	typ, r, err := t.ws.Reader(context.Background())
	if err != nil {
		return nil, readErr(err)
	}
	if typ != websocket.MessageBinary {
		return nil, fmt.Errorf("%w: text message", wire.ErrMalformed)
	}
	// Messages are read into slabs, as on a stream: one slab holds many
	// messages, each returned slice is never written again, and a message
	// that does not fit moves to a new slab (each twice the last, up to
	// wsSlabMax; a message larger than that twice its size so far). With a
	// pool, a message past 64 KiB grows in the pool's buffers instead, each
	// given back once copied to the next, and the last holds it alone.
	start := t.w
	for {
		if t.w == len(t.slab) {
			n := t.w - start
			size := max(minBuffer, 2*n)
			if len(t.slab) > 0 {
				size = max(size, min(2*len(t.slab), wsSlabMax))
			}
			var slab []byte
			var buf *Buf
			if t.pool != nil && size > maxBuffer {
				if buf = t.pool.get(size); buf != nil {
					slab = buf.b
				}
			}
			if slab == nil {
				slab = make([]byte, size)
			}
			copy(slab, t.slab[start:t.w])
			if t.slabBuf != nil {
				t.slabBuf.Release() // it held this message alone
			}
			t.slab, t.slabBuf, start, t.w = slab, buf, 0, n
		}
		m, err := r.Read(t.slab[t.w:])
		t.w += m
		if err == io.EOF {
			f := t.slab[start:t.w:t.w]
			if t.slabBuf != nil { // nothing else goes into it: the next message starts a slab
				t.last, t.slabBuf, t.slab, t.w = t.slabBuf, nil, nil, 0
			}
			return f, nil
		}
		if err != nil {
			return nil, readErr(err)
		}
	}
}

// wsSlabMax bounds the slabs of WS.ReadFrame but for large messages.
const wsSlabMax = 16 << 10

// readErr maps the errors of a WebSocket read to the stream's: a message
// over the limit wraps wire.ErrFrameTooLarge, a close with status normal or
// going away is io.EOF.
func readErr(err error) error {
	if errors.Is(err, websocket.ErrMessageTooBig) {
		return fmt.Errorf("%w: %v", wire.ErrFrameTooLarge, err)
	}
	switch websocket.CloseStatus(err) {
	case websocket.StatusNormalClosure, websocket.StatusGoingAway:
		// The other side closed as a socket does at its end (a tab
		// closed, a page left): io.EOF, as on a stream.
		return io.EOF
	}
	return err
}

// WriteFrames writes each frame as one binary message.
func (t *WS) WriteFrames(frames []wire.OutFrame) error {
	ctx := context.Background()
	if t.cork != nil {
		// The messages are gathered, not written, until Uncork, which
		// the write timeout bounds.
		t.cork.Cork(t.writeTimeout)
		var err error
		for _, f := range frames {
			if err = t.write(ctx, f); err != nil {
				break
			}
		}
		if uerr := t.cork.Uncork(); err == nil {
			err = uerr
		}
		return err
	}
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
	if len(f.Body) == 0 && len(f.Tail) == 0 {
		return t.ws.Write(ctx, websocket.MessageBinary, f.Head)
	}
	if f.Len() <= joinMax {
		buf := joinBufs.Get().(*[]byte)
		*buf = append(append(append((*buf)[:0], f.Head...), f.Body...), f.Tail...)
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
	if _, err := w.Write(f.Tail); err != nil {
		return err
	}
	return w.Close()
}

// Close closes the connection at once.
func (t *WS) Close() error {
	return t.ws.CloseNow()
}
