package browsertests

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
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

// What a world's own policy (Electron's webFrame.setIsolatedWorldInfo,
// here CDP's Page.createIsolatedWorld) changes under a page's strict one,
// in this Chromium: the world's loads follow its own policy (a fetch the
// page's connect-src forbids goes out), but compiling WebAssembly is still
// refused. So the page's policy must allow 'wasm-unsafe-eval' whatever the
// preload sets (docs/electron.md).
func TestIsolatedWorldOwnCSP(t *testing.T) {
	csp := "default-src 'self'"
	srv := appServer(t, &csp)
	var none string
	other := appServer(t, &none)
	ctx, cancel := chromedp.NewContext(browserCtx)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/test/plain.html")); err != nil {
		t.Fatal(err)
	}
	tree, err := chromedp.Call(ctx, page.GetFrameTree, cdp.Empty{})
	if err != nil {
		t.Fatal(err)
	}
	yes := true
	eval := func(world runtime.ExecutionContextID, expr string) string {
		t.Helper()
		r, err := chromedp.Call(ctx, runtime.Evaluate, runtime.EvaluateParams{Expression: expr, ContextID: world, AwaitPromise: &yes, ReturnByValue: &yes})
		if err != nil || r.ExceptionDetails != nil {
			t.Fatalf("eval %s: %v %+v", expr, err, r.ExceptionDetails)
		}
		var s string
		json.Unmarshal(r.Result.Value, &s)
		return s
	}
	compile := `WebAssembly.compile(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0])).then(() => 'compiled', (e) => 'refused: ' + e.message)`
	fetchOther := "fetch(" + jsString(other.URL+"/test/plain.html") + ", { mode: 'no-cors' }).then(() => 'fetched', (e) => 'refused: ' + e.message)"
	for _, c := range []struct {
		name, csp         string
		compiles, fetches bool
	}{
		{name: "the page's policy", compiles: false, fetches: false},
		{name: "a policy of its own", csp: "script-src 'wasm-unsafe-eval'; connect-src *", compiles: false, fetches: true},
	} {
		w, err := chromedp.Call(ctx, page.CreateIsolatedWorld, page.CreateIsolatedWorldParams{FrameID: tree.FrameTree.Frame.ID, WorldName: c.name, ContentSecurityPolicy: c.csp})
		if err != nil {
			t.Fatal(err)
		}
		if got := eval(w.ExecutionContextID, compile); (got == "compiled") != c.compiles {
			t.Errorf("a world with %s: WebAssembly.compile: %s, want compiled %v", c.name, got, c.compiles)
		}
		if got := eval(w.ExecutionContextID, fetchOther); (got == "fetched") != c.fetches {
			t.Errorf("a world with %s: fetch of another origin: %s, want fetched %v", c.name, got, c.fetches)
		}
	}
}
