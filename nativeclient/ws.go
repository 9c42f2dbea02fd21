package nativeclient

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/coder/websocket"
	"github.com/ipcbus/ipcbus/shared/bus"
	"github.com/ipcbus/ipcbus/shared/stream"
	"github.com/ipcbus/ipcbus/shared/wire"
)

// ErrForbidden is returned when a hub refuses a WebSocket upgrade: a bad
// token, or an origin it does not allow.
var ErrForbidden = errors.New("ipcbus: the hub refused the upgrade (403): bad token or origin")

// dialWS opens a WebSocket to a hub, for native clients that reach it
// through its WebSocket listener.
func dialWS(ctx context.Context, url string) (bus.Transport, error) {
	// The engine raises the read limit to the hub's once welcomed.
	t, resp, err := stream.DialWS(ctx, url, &websocket.DialOptions{Subprotocols: []string{wire.Subprotocol}},
		wire.DefaultMaxFrameBytes+wire.FrameOverheadBytes, writeTimeout)
	if err != nil {
		if resp != nil && resp.StatusCode == http.StatusForbidden {
			return nil, ErrForbidden
		}
		return nil, fmt.Errorf("websocket: %w", err)
	}
	t.SetPool(readPool)
	return t, nil
}
