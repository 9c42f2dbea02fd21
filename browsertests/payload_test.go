package browsertests

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ipcbus/ipcbus/hub"
	"github.com/ipcbus/ipcbus/shared/bus"
)

// Payloads of 16 B, 64 KiB and 8 MiB, as Uint8Array and inside nested
// objects, arrive intact: page → native, native → page, page → page.
func TestPayloadSizes(t *testing.T) {
	h := startHub(t, hub.Config{})
	nat := native(t, h, "native")
	ctx := ctxFor(t, 60*time.Second)
	got := make(chan any, 2)
	nat.On("to-native", func(e *bus.Event) {
		e.Keep() // its []byte values are read after the listener returned
		v, err := e.Values()
		if err != nil || len(v) != 1 {
			t.Errorf("decode: %v, %d values", err, len(v))
			return
		}
		got <- v[0]
	})
	if err := nat.Conn().Flush(ctx); err != nil {
		t.Fatal(err)
	}
	a := openTab(t, pageURL(h, "/test/blank.html"), preload{isolated: true, electron: electronArgs(h)})
	b := openTab(t, pageURL(h, "/test/blank.html"), preload{isolated: true, electron: electronArgs(h)})
	a.eval(`T.connect("alice")`, nil)
	b.eval(`T.connect("bob")`, nil)
	a.eval(`T.record("alice", "to-page"); T.sync("alice")`, nil)
	b.eval(`T.record("bob", "page-to-page"); T.sync("bob")`, nil)

	for _, n := range []int{16, 64 << 10, 8 << 20} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			// page → native: a Uint8Array, then a nested object
			a.eval(fmt.Sprintf(`T.client("alice").send("to-native", T.bytes(%d, 1)); T.client("alice").send("to-native", {meta: {n: %d, list: [1, "two", {three: 3}]}, data: T.bytes(%d, 2)})`, n, n, n), nil)
			if raw, _ := recv(t, got, "the page's bytes").([]byte); !bytes.Equal(raw, pattern(n, 1)) {
				t.Errorf("native got %d bytes, not the page's %d", len(raw), n)
			}
			obj, _ := recv(t, got, "the page's object").(map[string]any)
			if data, _ := obj["data"].([]byte); !bytes.Equal(data, pattern(n, 2)) {
				t.Errorf("native got nested data of %d bytes, not the page's %d", len(data), n)
			}
			wantMeta := map[string]any{"n": int64(n), "list": []any{int64(1), "two", map[string]any{"three": int64(3)}}}
			if !reflect.DeepEqual(obj["meta"], wantMeta) {
				t.Errorf("native got meta %#v, want %#v", obj["meta"], wantMeta)
			}

			// native → page: a []byte, then a nested map
			if err := nat.Send(ctx, "to-page", pattern(n, 3)); err != nil {
				t.Fatal(err)
			}
			if err := nat.Send(ctx, "to-page", map[string]any{"deep": map[string]any{"data": pattern(n, 4)}}); err != nil {
				t.Fatal(err)
			}
			var m, m2 struct {
				Args []any `json:"args"`
			}
			a.eval(`T.take("alice", "to-page")`, &m)
			a.eval(`T.take("alice", "to-page")`, &m2)
			wantArgs := fmt.Sprint([]any{
				map[string]any{"bin": float64(n), "fnv": float64(fnv1a(pattern(n, 3)))},
				map[string]any{"deep": map[string]any{"data": map[string]any{"bin": float64(n), "fnv": float64(fnv1a(pattern(n, 4)))}}},
			})
			if g := fmt.Sprint(append(m.Args, m2.Args...)); g != wantArgs {
				t.Errorf("page got %v, want %v", g, wantArgs)
			}

			// page → page
			a.eval(fmt.Sprintf(`T.client("alice").send("page-to-page", {list: [T.bytes(%d, 5)]})`, n), nil)
			b.eval(`T.take("bob", "page-to-page")`, &m)
			wantArgs = fmt.Sprint([]any{map[string]any{"list": []any{map[string]any{"bin": float64(n), "fnv": float64(fnv1a(pattern(n, 5)))}}}})
			if fmt.Sprint(m.Args) != wantArgs {
				t.Errorf("bob got %v, want %v", m.Args, wantArgs)
			}
		})
	}
}

// A message over the hub's frame limit fails at the sender (send throws,
// request rejects, a response too large rejects the requester) and the
// connection stays open.
func TestOverLimitFailsAtSender(t *testing.T) {
	h := startHub(t, hub.Config{MaxFrameBytes: 1 << 20})
	nat := native(t, h, "native")
	ctx := ctxFor(t, 30*time.Second)
	got := make(chan string, 1)
	nat.On("after", func(e *bus.Event) {
		var s string
		e.Args(&s)
		got <- s
	})
	nat.On("big", func(e *bus.Event) { t.Error("a message over the limit arrived") })
	if err := nat.Conn().Flush(ctx); err != nil {
		t.Fatal(err)
	}
	tb := openTab(t, pageURL(h, "/test/blank.html"), preload{isolated: true, electron: electronArgs(h)})
	tb.eval(`T.connect("page")`, nil)

	var res struct {
		Send    string  `json:"send"`
		Request settled `json:"request"`
	}
	tb.eval(`(async () => {
		const c = T.client("page");
		let send = 'sent';
		try { c.send("big", T.bytes(2 << 20, 0)); } catch (e) { send = e.code + ': ' + e.message; }
		const request = await T.settle(c.request("big", 0, {data: T.bytes(2 << 20, 0)}));
		c.send("after", "still open");
		return {send, request};
	})()`, &res)
	if !strings.HasPrefix(res.Send, "frame-too-large: ") {
		t.Errorf("send over the limit: %q, want it to throw frame-too-large", res.Send)
	}
	if res.Request.OK || res.Request.Code != "frame-too-large" {
		t.Errorf("request over the limit = %+v, want a frame-too-large rejection", res.Request)
	}
	if s := recv(t, got, "a send after the failures"); s != "still open" {
		t.Errorf("got %q after the failures", s)
	}

	tb.eval(`T.client("page").on("answer-big", (e) => e.request.resolve(T.bytes(2 << 20, 0))); T.sync("page")`, nil)
	_, err := nat.Request(ctx, "answer-big")
	var rej *bus.RejectedError
	if !errors.As(err, &rej) || !strings.Contains(rej.Message, "too large") {
		t.Errorf("request answered over the limit: %v, want a rejection saying it is too large", err)
	}
	tb.eval(`T.client("page").send("after", "open again")`, nil)
	if s := recv(t, got, "a send after the large response"); s != "open again" {
		t.Errorf("got %q after the large response", s)
	}
}
