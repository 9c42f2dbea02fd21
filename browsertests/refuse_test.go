package browsertests

import (
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/ipcbus/ipcbus/hub"
)

// connectError connects a fresh client in the tab and returns how it failed.
const connectError = `(async () => {
	const c = ElectronCommonIPC.CreateIpcBusClient();
	try { await c.connect({ timeoutDelay: 5000 }); return 'connected'; }
	catch (e) { return e.code + ': ' + e.message; }
})()`

// upgrade sends a WebSocket upgrade to the hub and returns the status.
func upgrade(t *testing.T, h *hub.Hub, token, origin string) int {
	t.Helper()
	req, err := http.NewRequest("GET", "http://"+hostPort(h)+"/ws?token="+token, nil)
	if err != nil {
		t.Fatal(err)
	}
	key := make([]byte, 16)
	rand.Read(key)
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Upgrade", "websocket")
	req.Header.Set("Sec-WebSocket-Version", "13")
	req.Header.Set("Sec-WebSocket-Key", base64.StdEncoding.EncodeToString(key))
	req.Header.Set("Sec-WebSocket-Protocol", "ipcbus.v1")
	req.Header.Set("Origin", origin)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func wsConnections(h *hub.Hub) int {
	n := 0
	for _, c := range h.State().Connections {
		if c.Transport == "ws" {
			n++
		}
	}
	return n
}

// A page with a bad token, and a page of a foreign origin with the right
// one, cannot connect: the hub answers 403 before the upgrade.
func TestRefusedTokenAndOrigin(t *testing.T) {
	h := startHub(t, hub.Config{})

	bad := openTab(t, pageURL(h, "/test/blank.html"), preload{isolated: true, config: configObject(h, "not-the-token", "{}")})
	var got string
	bad.eval(connectError, &got)
	if !strings.HasPrefix(got, "unreachable: ") {
		t.Errorf("connect with a bad token: %q, want it refused", got)
	}

	foreign := httptest.NewServer(http.FileServerFS(os.DirFS(webDir)))
	defer foreign.Close()
	other := openTab(t, foreign.URL+"/test/blank.html", preload{isolated: true, config: configObject(h, h.Token(), "{}")})
	other.eval(connectError, &got)
	if !strings.HasPrefix(got, "unreachable: ") {
		t.Errorf("connect from origin %s: %q, want it refused", foreign.URL, got)
	}
	if n := wsConnections(h); n != 0 {
		t.Errorf("the hub has %d WebSocket connections, want none", n)
	}

	own := "http://" + hostPort(h)
	for _, c := range []struct {
		token, origin string
		want          int
	}{
		{"not-the-token", own, http.StatusForbidden},
		{h.Token(), foreign.URL, http.StatusForbidden},
		{h.Token(), own, http.StatusSwitchingProtocols},
	} {
		if got := upgrade(t, h, c.token, c.origin); got != c.want {
			t.Errorf("upgrade with token %q from %s: HTTP %d, want %d", c.token, c.origin, got, c.want)
		}
	}
}
