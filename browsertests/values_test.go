package browsertests

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ipcbus/ipcbus/hub"
	"github.com/ipcbus/ipcbus/shared/bus"
)

// JS values map to msgpack and back as a Go peer sees them: integers stay
// integers, Dates are times, binary is binary; what cannot be sent throws
// at the sender, naming where it is.
func TestValueMapping(t *testing.T) {
	h := startHub(t, hub.Config{})
	nat := native(t, h, "native")
	ctx := ctxFor(t, 30*time.Second)
	got := make(chan []any, 1)
	nat.On("values", func(e *bus.Event) {
		e.Keep() // its []byte values are read after the listener returned
		v, err := e.Values()
		if err != nil {
			t.Errorf("decode: %v", err)
		}
		got <- v
	})
	if err := nat.Conn().Flush(ctx); err != nil {
		t.Fatal(err)
	}
	tb := openTab(t, pageURL(h, "/test/blank.html"), preload{isolated: true, electron: electronArgs(h)})
	tb.eval(`T.connect("page")`, nil)

	tb.eval(`T.client("page").send("values", 1, -1, 2 ** 40, -(2 ** 40), 1.5, true, false, null, undefined, "héllo",
		new Date(1700000000123), 12345678901234567890n, new Uint8Array([1, 2]), new Uint16Array([0x0102]).buffer,
		[1, [2]], {a: {b: 1}}, new Map([["k", 1]]))`, nil)
	want := []any{int64(1), int64(-1), int64(1 << 40), int64(-(1 << 40)), 1.5, true, false, nil, nil, "héllo",
		time.UnixMilli(1700000000123), uint64(12345678901234567890), []byte{1, 2}, []byte{2, 1},
		[]any{int64(1), []any{int64(2)}}, map[string]any{"a": map[string]any{"b": int64(1)}}, map[string]any{"k": int64(1)}}
	v := recv(t, got, "the page's values")
	if len(v) != len(want) {
		t.Fatalf("native got %d values, want %d: %#v", len(v), len(want), v)
	}
	for i := range want {
		if tm, ok := v[i].(time.Time); ok {
			if !tm.Equal(want[i].(time.Time)) {
				t.Errorf("value %d = %v, want %v", i, tm, want[i])
			}
			continue
		}
		if !reflect.DeepEqual(v[i], want[i]) {
			t.Errorf("value %d = %#v (%T), want %#v (%T)", i, v[i], v[i], want[i], want[i])
		}
	}

	tb.eval(`T.record("page", "values"); T.sync("page")`, nil)
	type tagged struct {
		Name string `msgpack:"name"`
		N    int    `msgpack:"n"`
	}
	if err := nat.Send(ctx, "values", int64(-5), uint64(1<<63), 2.5, time.UnixMilli(1700000000123).UTC(), []byte{9}, tagged{"x", 3}, []string{"a"}, nil); err != nil {
		t.Fatal(err)
	}
	var m struct {
		Args []any `json:"args"`
	}
	tb.eval(`T.take("page", "values")`, &m)
	wantArgs := []any{-5.0, map[string]any{"bigint": "9223372036854775808"}, 2.5, map[string]any{"date": "2023-11-14T22:13:20.123Z"},
		map[string]any{"bin": 1.0, "fnv": float64(fnv1a([]byte{9}))}, map[string]any{"name": "x", "n": 3.0}, []any{"a"}, nil}
	if !reflect.DeepEqual(m.Args, wantArgs) {
		t.Errorf("page decoded %#v, want %#v", m.Args, wantArgs)
	}

	var thrown []string
	tb.eval(`(() => {
		const c = T.client("page");
		const out = [];
		try { c.send("values", {ok: 1, f() {}}); } catch (e) { out.push(e.name + ': ' + e.message); }
		const cyclic = {list: []}; cyclic.list.push(cyclic);
		try { c.request("values", 0, 1, cyclic); } catch (e) { out.push(e.name + ': ' + e.message); }
		return out;
	})()`, &thrown)
	wantThrown := []string{
		"TypeError: ipcbus: cannot send a function (at args[0].f)",
		"TypeError: ipcbus: cannot send a cyclic structure (at args[1].list[0])",
	}
	if strings.Join(thrown, "\n") != strings.Join(wantThrown, "\n") {
		t.Errorf("sending what cannot be sent threw %q, want %q", thrown, wantThrown)
	}
}
