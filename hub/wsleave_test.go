package hub_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/ipcbus/ipcbus/hub"
	"github.com/ipcbus/ipcbus/hub/hubtest"
	"github.com/ipcbus/ipcbus/shared/wire"
	"github.com/vmihailenco/msgpack/v5"
)

// logLines sends each record's level and message to a channel.
type logLines chan string

func (l logLines) Enabled(context.Context, slog.Level) bool { return true }
func (l logLines) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l logLines) WithGroup(string) slog.Handler            { return l }
func (l logLines) Handle(_ context.Context, r slog.Record) error {
	select {
	case l <- r.Level.String() + " " + r.Message:
	default:
	}
	return nil
}

// TestClosedTabIsANormalLeave: a renderer whose tab closes ends its
// WebSocket with "going away", without a goodbye frame; the hub logs it as
// a connection closed (debug), not as one lost.
func TestClosedTabIsANormalLeave(t *testing.T) {
	lines := make(logLines, 100)
	h := hubtest.Start(t, hub.Config{WSAddr: "127.0.0.1:0", Logger: slog.New(lines)})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, h.WSURL(), &websocket.DialOptions{Subprotocols: []string{wire.Subprotocol}})
	if err != nil {
		t.Fatal(err)
	}
	hello, _ := msgpack.Marshal(wire.Hello{Version: wire.Version, Token: h.Token(), Process: wire.Process{Type: wire.ProcessRenderer, PID: 1}})
	f, _ := wire.Append(nil, &wire.Frame{Kind: wire.KindHello, Body: hello})
	if err := ws.Write(ctx, websocket.MessageBinary, f); err != nil {
		t.Fatal(err)
	}
	if _, _, err := ws.Read(ctx); err != nil { // the welcome
		t.Fatal(err)
	}
	ws.Close(websocket.StatusGoingAway, "")
	for {
		select {
		case l := <-lines:
			if strings.HasSuffix(l, "connection lost") || strings.HasPrefix(l, "WARN") || strings.HasPrefix(l, "ERROR") {
				t.Fatalf("a closed tab logged as %q", l)
			}
			if l == "DEBUG connection closed" {
				return
			}
		case <-ctx.Done():
			t.Fatal("no log line for the closed tab")
		}
	}
}
