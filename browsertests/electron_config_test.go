package browsertests

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/ipcbus/ipcbus/hub"
	"github.com/ipcbus/ipcbus/shared/bus"
)

// A window's preload, in Electron's sandboxed wrapper with no global
// process, gets the hub's URL, its token and the window's identity from
// the main process over ipcRenderer.invoke: the renderer's command line
// (the bridge's additionalArguments) carries the URL but never the token.
// A page the bridge does not allow gets no token and cannot connect.
func TestRendererCommandLineHasNoToken(t *testing.T) {
	h := startHub(t, hub.Config{Token: "a-secret-of-the-main-process"})
	nat := native(t, h, "native")
	tb := openTab(t, pageURL(h, "/test/blank.html"), preload{isolated: true, electron: electronArgs(h, "--ipcbus-wcid=21")})

	for _, a := range tb.argv {
		if strings.Contains(a, h.Token()) || strings.HasPrefix(a, "--ipcbus-token") {
			t.Errorf("the renderer's command line %q carries the token", tb.argv)
		}
	}
	if !slices.Contains(tb.argv, "--ipcbus-url="+wsURL(h)) {
		t.Errorf("the renderer's command line %q lacks the hub URL (the fallback)", tb.argv)
	}
	var before string
	tb.eval(`globalThis.__ipcbusProcessBefore`, &before)
	if before != "undefined" {
		t.Errorf("globalThis.process was %q before the preload ran, want none (a sandboxed preload's process is a parameter)", before)
	}

	// The preload gave its world a policy of its own that lets it reach
	// the hub (webFrame.setIsolatedWorldInfo, recorded by the stand-in).
	var worlds []struct {
		WorldID        int    `json:"worldId"`
		SecurityOrigin string `json:"securityOrigin"`
		CSP            string `json:"csp"`
	}
	tb.eval(`globalThis.__ipcbusWorldInfo`, &worlds)
	if len(worlds) != 1 || worlds[0].WorldID != 999 || worlds[0].SecurityOrigin != "http://"+hostPort(h) ||
		!strings.Contains(worlds[0].CSP, "'wasm-unsafe-eval'") || !strings.Contains(worlds[0].CSP, "ws://"+hostPort(h)) {
		t.Errorf("webFrame.setIsolatedWorldInfo calls %+v, want one for world 999 with the page's origin and a policy allowing the hub", worlds)
	}

	var peer bus.Peer
	tb.eval(`T.connect("page")`, &peer)
	if peer.Process.Type != "renderer" || peer.Process.WCID != 21 || peer.Process.PID != rendererPID || peer.Process.RID != 1 {
		t.Errorf("page peer = %+v, want a renderer of wcid 21 (event.sender.id), rid 1 and pid %d (the frame's)", peer, rendererPID)
	}
	if s := queryState(t, nat); s.connOf(peer.ID) < 0 {
		t.Errorf("the hub does not list the page's peer: %+v", s)
	}
	tb.mainMu.Lock()
	invokes := slices.Clone(tb.invokes)
	tb.mainMu.Unlock()
	if len(invokes) != 1 || invokes[0].Channel != "ipcbus:preload-config" || invokes[0].FrameURL != pageURL(h, "/test/blank.html") || invokes[0].Error != "" {
		t.Fatalf("the main process answered %+v, want one ipcbus:preload-config from %s", invokes, pageURL(h, "/test/blank.html"))
	}
	var answer struct {
		Token string `json:"token"`
	}
	if err := json.Unmarshal(invokes[0].Result, &answer); err != nil || answer.Token != h.Token() {
		t.Errorf("the main process answered %s, want the token (%v)", invokes[0].Result, err)
	}

	// A page of an origin the bridge does not allow: the main process
	// refuses it, and the hub refuses the socket the preload opens with
	// the command line's URL alone.
	app := electronArgs(h)
	app.allowedPages = []string{"app://myapp"}
	other := openTab(t, pageURL(h, "/test/blank.html"), preload{isolated: true, electron: app, noWait: true})
	var got string
	other.eval(connectError, &got)
	if !strings.HasPrefix(got, "unreachable: ") {
		t.Errorf("connect from a page not allowed: %q, want it refused", got)
	}
	other.mainMu.Lock()
	refused := slices.Clone(other.invokes)
	other.mainMu.Unlock()
	if len(refused) != 1 || !strings.Contains(refused[0].Error, "allowedPages") {
		t.Errorf("the main process answered %+v, want a refusal naming allowedPages", refused)
	}

	// An app's own preload that bundles ipcbus/preload and gives the token
	// itself (PreloadElectronCommonIpc, while the main process has not
	// answered yet): what it gives is added to the answer.
	own := app.with("")
	own.after = fmt.Sprintf(`module.exports.PreloadElectronCommonIpc({ token: %q });`, h.Token())
	mine := openTab(t, pageURL(h, "/test/blank.html"), preload{isolated: true, electron: own})
	mine.eval(connectError, &got)
	if got != "connected" {
		t.Errorf("connect with the token given by the app's own preload: %q", got)
	}
}
