package hub_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/coder/websocket"
	"github.com/ipcbus/ipcbus/hub"
	"github.com/ipcbus/ipcbus/hub/hubtest"
	"github.com/ipcbus/ipcbus/nativeclient"
	"github.com/ipcbus/ipcbus/shared/bus"
	"github.com/ipcbus/ipcbus/shared/wire"
)

func wsHub(t *testing.T, origins ...string) *hub.Hub {
	t.Helper()
	return hubtest.Start(t, hub.Config{
		UnixPath:       "",
		WSAddr:         "127.0.0.1:0",
		TCPAddr:        "127.0.0.1:0",
		AllowedOrigins: origins,
		Web:            fstest.MapFS{"index.html": {Data: []byte("<p>hi</p>")}},
	})
}

// upgrade tries a WebSocket upgrade and returns the HTTP status.
func upgrade(t *testing.T, url, origin string, protos ...string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	hdr := http.Header{}
	if origin != "" {
		hdr.Set("Origin", origin)
	}
	ws, resp, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPHeader: hdr, Subprotocols: protos})
	if err == nil {
		ws.CloseNow()
		return http.StatusSwitchingProtocols
	}
	if resp == nil {
		t.Fatalf("upgrade: %v", err)
	}
	return resp.StatusCode
}

func TestWebSocketRefusesBeforeUpgrade(t *testing.T) {
	h := wsHub(t, "https://app.example")
	url := h.WSURL()
	own := "http://" + strings.TrimPrefix(h.Addr("ws"), "ws:")
	bad := strings.Replace(url, "token="+h.Token(), "token=guess", 1)
	noToken := strings.Replace(url, "?token="+h.Token(), "", 1)
	cases := []struct {
		name, url, origin string
		protos            []string
		want              int
	}{
		{"own origin", url, own, []string{wire.Subprotocol}, http.StatusSwitchingProtocols},
		{"localhost alias of own origin", url, strings.Replace(own, "127.0.0.1", "localhost", 1), []string{wire.Subprotocol}, http.StatusSwitchingProtocols},
		{"file://", url, "file://", []string{wire.Subprotocol}, http.StatusSwitchingProtocols},
		{"configured origin", url, "https://app.example", []string{wire.Subprotocol}, http.StatusSwitchingProtocols},
		{"no origin (not a browser)", url, "", []string{wire.Subprotocol}, http.StatusSwitchingProtocols},
		{"foreign origin", url, "https://evil.example", []string{wire.Subprotocol}, http.StatusForbidden},
		{"opaque origin not allowed by default", url, "null", []string{wire.Subprotocol}, http.StatusForbidden},
		{"bad token", bad, own, []string{wire.Subprotocol}, http.StatusForbidden},
		{"no token", noToken, own, []string{wire.Subprotocol}, http.StatusForbidden},
		{"no subprotocol", url, own, nil, http.StatusForbidden},
		{"another subprotocol", url, own, []string{"chat"}, http.StatusForbidden},
	}
	for _, tc := range cases {
		if got := upgrade(t, tc.url, tc.origin, tc.protos...); got != tc.want {
			t.Errorf("%s: status %d, want %d", tc.name, got, tc.want)
		}
	}
}

func TestWebSocketOpaqueOriginWhenAllowed(t *testing.T) {
	h := wsHub(t, "null")
	if got := upgrade(t, h.WSURL(), "null", wire.Subprotocol); got != http.StatusSwitchingProtocols {
		t.Fatalf("status %d", got)
	}
}

func TestWebSocketPeersReachNativePeers(t *testing.T) {
	h := wsHub(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	renderer, err := nativeclient.Dial(ctx, h.WSURL(), &bus.Options{Name: "renderer", Process: bus.Process{Type: wire.ProcessRenderer, PID: 7, RID: 1, WCID: 1}})
	if err != nil {
		t.Fatal(err)
	}
	defer renderer.Close()
	native, err := nativeclient.Dial(ctx, h.ConnectAddr("tcp"), &bus.Options{Name: "native"})
	if err != nil {
		t.Fatal(err)
	}
	defer native.Close()
	renderer.On("hello", func(e *bus.Event) { e.Request.Resolve("from the renderer") })
	if err := renderer.Conn().Flush(ctx); err != nil {
		t.Fatal(err)
	}
	resp, err := native.Request(ctx, "hello")
	if err != nil {
		t.Fatal(err)
	}
	if resp.Sender.Process.Type != wire.ProcessRenderer || resp.Sender.Name != "renderer" {
		t.Fatalf("answered by %+v", resp.Sender)
	}
	st := h.State()
	kinds := map[string]bool{}
	for _, c := range st.Connections {
		kinds[c.Transport] = true
	}
	if !kinds["ws"] || !kinds["tcp"] {
		t.Fatalf("state transports %v", kinds)
	}
	// A native WebSocket client with a bad token gets a clear error.
	_, err = nativeclient.Dial(ctx, strings.Replace(h.WSURL(), h.Token(), "guess", 1), nil)
	if !errors.Is(err, nativeclient.ErrForbidden) {
		t.Fatalf("bad token: %v", err)
	}
}

func TestWebServesStaticFiles(t *testing.T) {
	h := wsHub(t)
	resp, err := http.Get("http://" + strings.TrimPrefix(h.Addr("ws"), "ws:") + "/index.html")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Cache-Control") != "no-cache" {
		t.Fatalf("GET index.html: %d %v", resp.StatusCode, resp.Header)
	}
}

// TestRefusedUpgradeClosesItsConnection: an upgrade refused with 403 does
// not keep its connection (no keep-alive), and HTTP connections that are
// idle or never send a request are closed after HandshakeTimeout, so no
// one holds the hub's file descriptors without a token.
func TestRefusedUpgradeClosesItsConnection(t *testing.T) {
	h := hubtest.Start(t, hub.Config{WSAddr: "127.0.0.1:0", HandshakeTimeout: 300 * time.Millisecond,
		Web: fstest.MapFS{"index.html": {Data: []byte("<p>hi</p>")}}})
	hostPort := strings.TrimPrefix(h.Addr("ws"), "ws:")
	dial := func() (net.Conn, *bufio.Reader) {
		nc, err := net.Dial("tcp", hostPort)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { nc.Close() })
		nc.SetDeadline(time.Now().Add(5 * time.Second))
		return nc, bufio.NewReader(nc)
	}
	closedByHub := func(what string, br *bufio.Reader) {
		t.Helper()
		if _, err := br.ReadByte(); !errors.Is(err, io.EOF) && !isReset(err) {
			t.Fatalf("%s: connection still open: %v", what, err)
		}
	}

	nc, br := dial()
	fmt.Fprintf(nc, "GET /ws?token=guess HTTP/1.1\r\nHost: %s\r\nConnection: keep-alive, Upgrade\r\nUpgrade: websocket\r\n"+
		"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: %s\r\n\r\n", hostPort, wire.Subprotocol)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden || !resp.Close {
		t.Fatalf("refused upgrade: %d, Connection: close %v", resp.StatusCode, resp.Close)
	}
	closedByHub("refused upgrade", br)

	nc, br = dial()
	fmt.Fprintf(nc, "GET /index.html HTTP/1.1\r\nHost: %s\r\n\r\n", hostPort)
	resp, err = http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	closedByHub("idle keep-alive connection", br)

	_, br = dial()
	closedByHub("connection that never sends a request", br)
}
