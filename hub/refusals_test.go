package hub_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ipcbus/ipcbus/hub"
	"github.com/ipcbus/ipcbus/hub/hubtest"
	"github.com/ipcbus/ipcbus/shared/wire"
)

// logRecords is a slog.Handler that keeps what is logged.
type logRecords struct {
	mu      sync.Mutex
	records []slog.Record
}

func (l *logRecords) Enabled(context.Context, slog.Level) bool { return true }
func (l *logRecords) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	l.records = append(l.records, r.Clone())
	l.mu.Unlock()
	return nil
}
func (l *logRecords) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *logRecords) WithGroup(string) slog.Handler      { return l }

// warnings returns the WARN lines, each as its message and attributes.
func (l *logRecords) warnings() []map[string]string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []map[string]string
	for _, r := range l.records {
		if r.Level != slog.LevelWarn {
			continue
		}
		m := map[string]string{"msg": r.Message}
		r.Attrs(func(a slog.Attr) bool { m[a.Key] = a.Value.String(); return true })
		out = append(out, m)
	}
	return out
}

// TestRefusalsAreCountedNotLogged: bad upgrades, bad tokens and handshake
// timeouts in numbers make one WARN line per interval with their counts,
// not one line each.
func TestRefusalsAreCountedNotLogged(t *testing.T) {
	logs := &logRecords{}
	h := hubtest.Start(t, hub.Config{UnixPath: t.TempDir() + "/hub.sock", TCPAddr: "127.0.0.1:0", WSAddr: "127.0.0.1:0",
		HandshakeTimeout: time.Second, RefusalLogInterval: time.Hour, Logger: slog.New(logs)})
	var silent []*raw // never say hello: closed at the handshake timeout
	for range 10 {
		silent = append(silent, dialRaw(t, h))
	}
	badWS := strings.Replace(h.WSURL(), h.Token(), "guess", 1)
	for range 40 {
		if got := upgrade(t, badWS, "", wire.Subprotocol); got != http.StatusForbidden {
			t.Fatalf("bad upgrade: %d", got)
		}
	}
	for range 20 {
		r := dialRawOn(t, h, "tcp")
		r.write(wire.Frame{Kind: wire.KindHello, Body: body(t, wire.Hello{Version: wire.Version, Token: "guess"})})
		r.expectClose(wire.CloseUnauthorized)
	}
	for _, r := range silent {
		r.expectClose(wire.CloseHandshakeTimeout)
	}
	hubtest.Eventually(t, 5*time.Second, "70 refusals counted", func() bool { return h.Refused() == 70 })
	if w := logs.warnings(); len(w) != 0 {
		t.Fatalf("refusals logged before the interval: %v", w)
	}
	if err := h.Shutdown(context.Background()); err != nil { // writes what is counted
		t.Fatal(err)
	}
	w := logs.warnings()
	if len(w) != 1 || w[0]["msg"] != "connections refused" || w[0]["count"] != "70" {
		t.Fatalf("WARN lines %v, want one with count 70", w)
	}
	for _, want := range []string{"ws: bad token ×40", "tcp: unauthorized ×20", "unix: handshake timeout ×10"} {
		if !strings.Contains(w[0]["reasons"], want) {
			t.Errorf("reasons %q lack %q", w[0]["reasons"], want)
		}
	}
}

// TestRemoteBindNeedsAllowRemote: a TCP or WebSocket listener beyond
// loopback is refused without AllowRemote, and logged as a warning with it.
func TestRemoteBindNeedsAllowRemote(t *testing.T) {
	for _, cfg := range []hub.Config{{TCPAddr: "0.0.0.0:0"}, {WSAddr: "0.0.0.0:0"}, {TCPAddr: "[::]:0"}, {TCPAddr: "example.invalid:0"}} {
		h, err := hub.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if err := h.Listen(); !errors.Is(err, hub.ErrRemoteBind) {
			t.Errorf("%+v: Listen: %v, want ErrRemoteBind", cfg, err)
		}
	}
	for _, addr := range []string{"localhost:0", "127.0.0.2:0", ":0"} {
		hubtest.Start(t, hub.Config{TCPAddr: addr})
	}
	logs := &logRecords{}
	h := hubtest.Start(t, hub.Config{TCPAddr: "0.0.0.0:0", AllowRemote: true, Logger: slog.New(logs)})
	w := logs.warnings()
	if len(w) != 1 || !strings.Contains(w[0]["msg"], "beyond loopback") || w[0]["listener"] != "tcp" {
		t.Fatalf("WARN lines %v, want one about listening beyond loopback", w)
	}
	// Reached here over loopback only.
	port := h.Addr("tcp")[strings.LastIndex(h.Addr("tcp"), ":")+1:]
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := nativeDialAddr(ctx, "tcp:127.0.0.1:"+port+"?token="+h.Token())
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
}
