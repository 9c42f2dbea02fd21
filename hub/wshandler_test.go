package hub_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ipcbus/ipcbus/hub"
	"github.com/ipcbus/ipcbus/hub/hubtest"
	"github.com/ipcbus/ipcbus/nativeclient"
	"github.com/ipcbus/ipcbus/shared/bus"
)

// TestWebSocketHandlerInTheAppsServer: an app mounts the hub's WebSocket
// bridge in its own HTTP server; a WebSocket client reaches the peers on
// the hub's socket through it, and a wrong token or origin is refused.
func TestWebSocketHandlerInTheAppsServer(t *testing.T) {
	h := hubtest.Start(t, hub.Config{AllowedOrigins: []string{"http://app.example"}})
	mux := http.NewServeMux()
	mux.Handle("/bus", h.WebSocketHandler())
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("the app")) })
	srv := httptest.NewServer(mux)
	defer srv.Close()
	if h.Token() == "" {
		t.Fatal("no token to hand out")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	native := hubtest.Dial(t, h, "native", nil)
	native.On("hello", func(e *bus.Event) { e.Request.Resolve("from the socket") })
	if err := native.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	url := "ws" + strings.TrimPrefix(srv.URL, "http") + "/bus?token=" + h.Token()
	web, err := nativeclient.Dial(ctx, url, &bus.Options{Name: "through-the-app"})
	if err != nil {
		t.Fatal(err)
	}
	defer web.Close()
	if s, err := bus.RequestAs[string](ctx, web, "hello"); err != nil || s != "from the socket" {
		t.Fatalf("request through the app's server: %q, %v", s, err)
	}
	if _, err := nativeclient.Dial(ctx, strings.Replace(url, h.Token(), "guess", 1), nil); !errors.Is(err, nativeclient.ErrForbidden) {
		t.Fatalf("bad token: %v", err)
	}
	if code := upgrade(t, url, "http://evil.example", "ipcbus.v1"); code != http.StatusForbidden {
		t.Errorf("upgrade from another origin: %d, want 403", code)
	}
	if code := upgrade(t, url, "http://app.example", "ipcbus.v1"); code != http.StatusSwitchingProtocols {
		t.Errorf("upgrade from an allowed origin: %d, want 101", code)
	}
	if resp, err := http.Get(srv.URL + "/"); err != nil || resp.StatusCode != 200 {
		t.Fatalf("the app's own page: %v, %v", resp, err)
	} else {
		resp.Body.Close()
	}
}
