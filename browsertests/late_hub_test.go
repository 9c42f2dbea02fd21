package browsertests

import (
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/ipcbus/ipcbus/hub"
	"github.com/ipcbus/ipcbus/hub/hubtest"
	"github.com/ipcbus/ipcbus/shared/bus"
)

// A window that loads before its hub listens: the preload's fetch of
// client.wasm fails, it tries again with backoff, and once the hub
// listens the page joins it.
func TestPreloadWaitsForHub(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // free again: nothing listens there until the hub does
	var none string
	srv := appServer(t, &none)
	const token = "chosen-by-the-main-process"
	app := &electronApp{url: "ws://" + addr + "/ws", token: token, allowedPages: []string{srv.URL}, wcid: 1,
		// count the preload's fetches, to start the hub once one failed
		js: `{ const f = fetch; let n = 0, woke; const twice = new Promise((r) => { woke = r; });
			globalThis.fetch = (...a) => { if (++n === 2) woke(); return f(...a); };
			Object.defineProperty(globalThis, '__secondFetch', { value: twice }); }`}
	tb := openTab(t, srv.URL+"/test/plain.html", preload{isolated: true, electron: app, noWait: true})
	tb.eval(`__secondFetch.then(() => true)`, nil)

	dir := t.TempDir()
	h := hubtest.Start(t, hub.Config{WSAddr: addr, Web: os.DirFS(webDir), Token: token, AllowedOrigins: []string{srv.URL}, UnixPath: filepath.Join(dir, "hub.sock")})
	tb.eval(`ElectronCommonIPC.ready.then(() => true)`, nil)
	var peer bus.Peer
	tb.eval(`T.connect("page")`, &peer)
	nat := native(t, h, "native")
	if s := queryState(t, nat); s.connOf(peer.ID) < 0 {
		t.Errorf("the hub does not list the late page's peer: %+v", s)
	}
}
