package nativeclient

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/coder/websocket"
	"github.com/ipcbus/ipcbus/shared/bus"
	"github.com/ipcbus/ipcbus/shared/wire"
)

// wsTransport carries one frame per binary WebSocket message, for native
// clients that reach a hub through its WebSocket listener.
type wsTransport struct {
	ws     *websocket.Conn
	ctx    context.Context // the connection's life; Read must not use a shorter one
	cancel context.CancelFunc
}

func dialWS(ctx context.Context, url string, header http.Header) (bus.Transport, error) {
	ws, resp, err := websocket.Dial(ctx, url, &websocket.DialOptions{
		Subprotocols: []string{wire.Subprotocol},
		HTTPHeader:   header,
	})
	if err != nil {
		if resp != nil && resp.StatusCode == http.StatusForbidden {
			return nil, fmt.Errorf("%w: the hub refused the upgrade (403): bad token or origin", errForbidden)
		}
		return nil, err
	}
	ws.SetReadLimit(wire.DefaultMaxFrameBytes + wire.FrameOverheadBytes)
	lctx, cancel := context.WithCancel(context.Background())
	return &wsTransport{ws: ws, ctx: lctx, cancel: cancel}, nil
}

var errForbidden = errors.New("ipcbus: forbidden")

func (t *wsTransport) SetMaxFrame(n int) { t.ws.SetReadLimit(int64(n)) }

func (t *wsTransport) ReadFrame() ([]byte, error) {
	_, b, err := t.ws.Read(t.ctx)
	return b, err
}

func (t *wsTransport) WriteFrames(frames [][]byte) error {
	ctx, cancel := context.WithTimeout(t.ctx, writeTimeout)
	defer cancel()
	for _, f := range frames {
		if err := t.ws.Write(ctx, websocket.MessageBinary, f); err != nil {
			return err
		}
	}
	return nil
}

func (t *wsTransport) Close() error {
	t.cancel()
	return t.ws.CloseNow()
}
