package browsertests

import (
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/ipcbus/ipcbus/hub"
	"github.com/ipcbus/ipcbus/shared/bus"
)

// With the preload in an isolated world (contextIsolation on), the page
// gets the API over a MessagePort (ipcbus-page.bundle.js) and sends and
// requests both ways with a native Go client. The main world sees the API
// and nothing of the preload: no token, no engine, no client object, no
// socket.
func TestIsolatedPageOverPort(t *testing.T) {
	h := startHub(t, hub.Config{})
	nat := native(t, h, "native")
	ctx := ctxFor(t, 30*time.Second)
	got := make(chan []any, 4)
	nat.On("to-native", func(e *bus.Event) {
		v, _ := e.Values()
		got <- append([]any{e.Sender}, v...)
	})
	nat.On("ask-native", func(e *bus.Event) {
		var s string
		e.Args(&s)
		if s == "bad" {
			e.Request.Reject("nope")
			return
		}
		e.Request.Resolve("native got " + s)
	})
	if err := nat.Conn().Flush(ctx); err != nil {
		t.Fatal(err)
	}

	tb := openPage(t, h, electronArgs(h, "--ipcbus-wcid=7"))
	// The preload's own client, in its world, to check the page joins the
	// same connection.
	var own bus.Peer
	tb.eval(`T.connect("preload")`, &own)
	var peer bus.Peer
	tb.evalPage(`T.connect("page")`, &peer)
	if peer.ID == 0 || peer.Name != "page" || peer.Process.Type != "renderer" || peer.Process.WCID != 7 || peer.Process.PID != 4242 || !peer.Process.IsMainFrame {
		t.Fatalf("page peer = %+v, want a renderer main frame named page with wcid 7 and pid 4242", peer)
	}

	// page → native
	tb.evalPage(`T.client("page").send("to-native", "hello", 42)`, nil)
	m := recv(t, got, "the page's send")
	if s := m[0].(bus.Peer); s.ID != peer.ID || !reflect.DeepEqual(m[1:], []any{"hello", int64(42)}) {
		t.Errorf("native got %v from %+v, want hello, 42 from the page", m[1:], s)
	}
	var r settled
	tb.evalPage(`T.settle(T.client("page").request("ask-native", 0, "x"))`, &r)
	if !r.OK || r.Payload != "native got x" || r.Sender.ID != nat.Peer().ID {
		t.Errorf("resolved request = %+v", r)
	}
	tb.evalPage(`T.settle(T.client("page").request("ask-native", 0, "bad"))`, &r)
	if r.OK || r.Err != "nope" || r.Code != "rejected" || r.Sender.ID != nat.Peer().ID {
		t.Errorf("rejected request = %+v, want err nope from the native peer", r)
	}
	tb.evalPage(`T.settle(T.client("page").request("nobody-listens", 0))`, &r)
	if r.OK || r.Code != "no-listener" {
		t.Errorf("request nobody listens to = %+v, want code no-listener", r)
	}

	// native → page
	tb.evalPage(`T.record("page", "to-page", "echo"); T.record("page", "page-rejects", "reject", "no way"); T.sync("page")`, nil)
	if err := nat.Send(ctx, "to-page", "hi", []byte{1, 2, 3}); err != nil {
		t.Fatal(err)
	}
	var rec received
	tb.evalPage(`T.take("page", "to-page")`, &rec)
	if rec.Sender.ID != nat.Peer().ID || len(rec.Args) != 2 || rec.Args[0] != "hi" {
		t.Errorf("page got %+v, want hi and 3 bytes from the native peer", rec)
	}
	resp, err := nat.Request(ctx, "to-page", "echo me")
	if err != nil {
		t.Fatalf("request to the page: %v", err)
	}
	var echoed string
	if resp.Decode(&echoed); echoed != "echo me" || resp.Sender.ID != peer.ID {
		t.Errorf("page answered %q from %+v", echoed, resp.Sender)
	}
	_, err = nat.Request(ctx, "page-rejects", 1)
	var rej *bus.RejectedError
	if !errors.As(err, &rej) || rej.Message != "no way" || rej.Peer.ID != peer.ID {
		t.Errorf("request the page rejects: %v", err)
	}

	// One WebSocket carries the preload's peer and the page's.
	var state hubState
	tb.evalPage(`T.client("page").request(ElectronCommonIPC.IPCBUS_CHANNEL_QUERY_STATE, 0).then((r) => T.describe(r.payload))`, &state)
	_, _, okOwn := state.peer(own.ID)
	if c := state.connOf(peer.ID); c < 0 || c != state.connOf(own.ID) || !okOwn {
		t.Errorf("the page's peer and the preload's are not on one connection: %+v", state)
	}

	// The main world has the API, and nothing of the preload.
	var seen struct {
		Keys     []string `json:"keys"`
		Leaks    []string `json:"leaks"`
		Globals  []string `json:"globals"`
		ClientOK bool     `json:"clientOK"`
	}
	tb.evalPage(`(() => {
		const token = `+jsString(h.Token())+`;
		const leaks = [];
		const look = (where, v) => { try { if (String(v).includes(token)) leaks.push(where); } catch {} };
		for (const k of Object.getOwnPropertyNames(window)) {
			let v; try { v = window[k]; } catch { continue; }
			look('window.' + k, v);
			if (v && typeof v === 'object') { try { look('JSON window.' + k, JSON.stringify(v)); } catch {} }
		}
		look('document', document.documentElement.outerHTML);
		look('location', location.href);
		for (const e of performance.getEntries()) look('performance', e.name);
		const c = T.client("page");
		for (const k of Object.getOwnPropertyNames(c)) { try { look('client.' + k, JSON.stringify(c[k])); } catch {} }
		const globals = ['Go', 'ipcbusHost', 'ipcbusClient', 'ipcbusCodec', '__ipcbusBoot', 'IPCBUS_CONFIG', 'process'].filter((k) => k in window);
		return { keys: Object.keys(ElectronCommonIPC), leaks, globals, clientOK: typeof ElectronCommonIPC.CreateIpcBusClient === 'function' };
	})()`, &seen)
	if len(seen.Leaks) > 0 {
		t.Errorf("the main world can read the token in %v", seen.Leaks)
	}
	if len(seen.Globals) > 0 {
		t.Errorf("the main world has the preload's %v", seen.Globals)
	}
	for _, k := range seen.Keys {
		if k == "hubURL" || k == "loadMillis" {
			t.Errorf("the page's API has the preload's %s", k)
		}
	}
	if !seen.ClientOK {
		t.Errorf("the page's API lacks CreateIpcBusClient: %v", seen.Keys)
	}
	// The preload's world still has its own API (and the token).
	var preloadHasHost bool
	tb.eval(`typeof ElectronCommonIPC.hubURL === 'string' && typeof ElectronCommonIPC.CreateIpcBusClient === 'function'`, &preloadHasHost)
	if !preloadHasHost {
		t.Errorf("the preload's world lacks its own API")
	}
}

// Without isolation the preload runs in the page's world and the same page
// (loading ipcbus-page.bundle.js) uses the preload's API directly; its
// grantFrame gives a frame its port all the same.
func TestPageShimWithoutIsolation(t *testing.T) {
	h := startHub(t, hub.Config{})
	nat := native(t, h, "native")
	nat.On("ask-native", func(e *bus.Event) { e.Request.Resolve("yes") })
	if err := nat.Conn().Flush(ctxFor(t, 5*time.Second)); err != nil {
		t.Fatal(err)
	}
	tb := openTab(t, pageURL(h, "/test/page.html"), preload{config: configObject(h, h.Token(), `{wcid: 3}`)})
	var r struct {
		HubURL string  `json:"hubURL"`
		R      settled `json:"r"`
	}
	tb.evalPage(`(async () => {
		await T.connect("page");
		return { hubURL: ElectronCommonIPC.hubURL, r: await T.settle(T.client("page").request("ask-native", 0)) };
	})()`, &r)
	if r.HubURL == "" {
		t.Errorf("the page does not use the preload's API (no hubURL)")
	}
	if !r.R.OK || r.R.Payload != "yes" {
		t.Errorf("request = %+v", r.R)
	}
	tb.evalPage(fmt.Sprintf(`T.addFrame("f", %q, { grant: true })`, pageURL(h, "/test/frame.html#name=f")), nil)
	var f frameStatus
	tb.evalPage(`T.frameStatus("f")`, &f)
	if !f.OK || f.Peer.Process.Type != "renderer-frame" || f.Peer.Process.WCID != 3 {
		t.Errorf("frame = %+v, want a renderer-frame of wcid 3", f)
	}
	var answer string
	drive(t, nat, "f", `return T.client("f").request("ask-native", 0).then((r) => r.payload);`, &answer)
	if answer != "yes" {
		t.Errorf("the frame's request = %q", answer)
	}
}
