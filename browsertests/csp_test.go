package browsertests

import (
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/ipcbus/ipcbus/hub"
	"github.com/ipcbus/ipcbus/shared/bus"
)

// appServer serves the built web dir as an Electron app serves its pages
// (a custom protocol, protocol.handle): on an origin of its own, not the
// hub's, with *csp as the Content-Security-Policy header when not empty.
func appServer(t *testing.T, csp *string) *httptest.Server {
	t.Helper()
	files := http.FileServerFS(os.DirFS(webDir))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if *csp != "" {
			w.Header().Set("Content-Security-Policy", *csp)
		}
		files.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// The preload under a page's strict Content-Security-Policy, which
// Chromium applies to the preload's isolated world too (as Electron does
// unless webFrame.setIsolatedWorldInfo gives it one): a page of the app's
// own origin, its hub on another, the policy as a header and as a meta
// tag. It works with the policy docs/electron.md gives; without
// 'wasm-unsafe-eval' client.wasm cannot compile, and without the hub in
// connect-src neither its fetch nor its WebSocket goes out.
func TestStrictCSP(t *testing.T) {
	var csp string
	srv := appServer(t, &csp)
	h := startHub(t, hub.Config{AllowedOrigins: []string{srv.URL}})
	hubHTTP := "http://" + hostPort(h)
	hubWS := "ws://" + hostPort(h)
	for _, tc := range []struct {
		name, csp, page string
		works           bool
		why             string // in the preload's error when it does not
	}{
		{name: "header", csp: "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; connect-src " + hubHTTP + " " + hubWS, page: "/test/plain.html", works: true},
		{name: "meta", page: "/test/blank.html", works: true},
		{name: "no wasm-unsafe-eval", csp: "default-src 'self'; connect-src " + hubHTTP + " " + hubWS, page: "/test/plain.html", why: "'wasm-unsafe-eval'"},
		{name: "hub not in connect-src", csp: "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'", page: "/test/plain.html", why: "connect-src"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			csp = tc.csp
			app := electronArgs(h)
			app.allowedPages = []string{srv.URL}
			tb := openTab(t, srv.URL+tc.page, preload{isolated: true, electron: app, noWait: true})
			var r struct {
				OK  bool   `json:"ok"`
				Err string `json:"err"`
			}
			tb.eval(`ElectronCommonIPC.ready.then(() => ({ ok: true }), (e) => ({ ok: false, err: String(e && e.message || e) }))`, &r)
			if r.OK != tc.works {
				t.Fatalf("client.wasm under %q: ok %v (%s), want %v", tc.csp, r.OK, r.Err, tc.works)
			}
			if !tc.works {
				if !strings.Contains(r.Err, tc.why) {
					t.Errorf("the preload's error %q does not say %q", r.Err, tc.why)
				}
				return
			}
			nat := native(t, h, "native-"+tc.name)
			var peer bus.Peer
			tb.eval(`T.connect("page")`, &peer)
			var state hubState
			tb.eval(`T.client("page").request(ElectronCommonIPC.IPCBUS_CHANNEL_QUERY_STATE, 0).then((r) => T.describe(r.payload))`, &state)
			if _, _, ok := state.peer(nat.Peer().ID); !ok {
				t.Errorf("queryState from the page lacks the native peer: %+v", state)
			}
		})
	}
}
