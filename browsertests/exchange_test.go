package browsertests

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/ipcbus/ipcbus/hub"
	"github.com/ipcbus/ipcbus/shared/bus"
)

// A page (preload in an isolated world, configured through process.argv as
// Electron's additionalArguments gives it) and a native Go client send and
// request both ways, with resolve and reject.
func TestPageAndNativeExchange(t *testing.T) {
	h := startHub(t, hub.Config{})
	nat := native(t, h, "native")
	ctx := ctxFor(t, 30*time.Second)

	sent := make(chan []any, 4)
	nat.On("to-native", func(e *bus.Event) {
		v, err := e.Values()
		if err != nil {
			t.Errorf("decode: %v", err)
		}
		sent <- append([]any{e.Sender}, v...)
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

	tb := openTab(t, pageURL(h, "/test/blank.html"), preload{isolated: true, electron: electronArgs(h, "--ipcbus-wcid=7")})
	var peer bus.Peer
	tb.eval(`T.connect("page")`, &peer)
	if peer.ID == 0 || peer.Name != "page" || peer.Process.Type != "renderer" || peer.Process.WCID != 7 || peer.Process.PID != 4242 {
		t.Fatalf("page peer = %+v, want a renderer named page with wcid 7 and pid 4242", peer)
	}

	// page → native: send
	tb.eval(`T.client("page").send("to-native", "hello", 42, 1.5)`, nil)
	got := recv(t, sent, "the page's send")
	if s := got[0].(bus.Peer); s.ID != peer.ID {
		t.Errorf("sender = %+v, want the page %d", s, peer.ID)
	}
	if want := []any{"hello", int64(42), 1.5}; !reflect.DeepEqual(got[1:], want) {
		t.Errorf("native got %#v, want %#v", got[1:], want)
	}

	// page → native: request, resolved and rejected
	var r settled
	tb.eval(`T.settle(T.client("page").request("ask-native", 0, "x"))`, &r)
	if !r.OK || r.Payload != "native got x" || r.Sender.ID != nat.Peer().ID || r.Channel != "ask-native" {
		t.Errorf("resolved request = %+v, want payload %q from the native peer", r, "native got x")
	}
	tb.eval(`T.settle(T.client("page").request("ask-native", 0, "bad"))`, &r)
	if r.OK || r.Err != "nope" || r.Sender.ID != nat.Peer().ID {
		t.Errorf("rejected request = %+v, want err %q from the native peer", r, "nope")
	}

	// native → page: send
	tb.eval(`T.record("page", "to-page", "echo"); T.record("page", "page-rejects", "reject", "no way"); T.sync("page")`, nil)
	if err := nat.Send(ctx, "to-page", "hi", []byte{1, 2, 3}); err != nil {
		t.Fatal(err)
	}
	var m received
	tb.eval(`T.take("page", "to-page")`, &m)
	if m.Sender.ID != nat.Peer().ID || m.Request || len(m.Args) != 2 || m.Args[0] != "hi" {
		t.Errorf("page got %+v, want a send of \"hi\" and 3 bytes from the native peer", m)
	}

	// native → page: request, resolved and rejected
	resp, err := nat.Request(ctx, "to-page", map[string]any{"n": 1})
	if err != nil {
		t.Fatalf("request to the page: %v", err)
	}
	var echoed map[string]any
	if err := resp.Decode(&echoed); err != nil || echoed["n"] != int8(1) && echoed["n"] != int64(1) {
		t.Errorf("page echoed %#v (%v), want {n: 1}", echoed, err)
	}
	if resp.Sender.ID != peer.ID {
		t.Errorf("response sender = %+v, want the page", resp.Sender)
	}
	_, err = nat.Request(ctx, "page-rejects", 1)
	var rej *bus.RejectedError
	if !errors.As(err, &rej) || rej.Message != "no way" || rej.Peer.ID != peer.ID {
		t.Errorf("request the page rejects: %v, want a rejection %q by the page", err, "no way")
	}
}
