//go:build !js

package bus_test

import (
	"bytes"
	"crypto/rand"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ipcbus/ipcbus/hub"
	"github.com/ipcbus/ipcbus/hub/hubtest"
	"github.com/ipcbus/ipcbus/shared/bus"
	"github.com/ipcbus/ipcbus/shared/wire"
)

// roundTripValues is the foundation's table of values that must cross the
// bus intact, with the generic value the receiver decodes.
func roundTripValues(t *testing.T) map[string][2]any {
	random := make([]byte, 128)
	rand.Read(random)
	when := time.Date(2026, 11, 27, 4, 18, 16, 123456789, time.UTC)
	return map[string][2]any{
		"true":            {true, true},
		"false":           {false, false},
		"zero":            {0, int64(0)},
		"45698":           {45698, int64(45698)},
		"-45698":          {-45698, int64(-45698)},
		"12302.23":        {12302.23, 12302.23},
		"+99999999999999": {int64(99999999999999), int64(99999999999999)},
		"-99999999999999": {int64(-99999999999999), int64(-99999999999999)},
		"empty string":    {"", ""},
		"4 KiB string":    {strings.Repeat("x", 4096), strings.Repeat("x", 4096)},
		"non-ASCII":       {"héllo wörld, 日本語, 🚌", "héllo wörld, 日本語, 🚌"},
		"mixed array":     {[]any{true, 0, "s", 12302.23, nil}, []any{true, int64(0), "s", 12302.23, nil}},
		"nested maps": {
			map[string]any{"a": map[string]any{"b": nil, "c": []any{map[string]any{"d": "e"}}}, "n": nil},
			map[string]any{"a": map[string]any{"b": nil, "c": []any{map[string]any{"d": "e"}}}, "n": nil},
		},
		"128 random bytes": {random, random},
		"timestamp":        {when, when},
	}
}

func TestValuesRoundTrip(t *testing.T) {
	h := hubtest.Start(t, hub.Config{})
	ctx := ctxT(t)
	sender := hubtest.Dial(t, h, "sender", nil)
	receiver := hubtest.Dial(t, h, "receiver", nil)
	in := newInbox()
	receiver.On("values", in.listener)
	receiver.On("echo", func(e *bus.Event) {
		v, err := e.Values()
		if err != nil {
			e.Request.Reject(err.Error())
			return
		}
		e.Request.Resolve(v[0])
	})
	waitSubscribed(t, h, "echo", 1)
	for name, c := range roundTripValues(t) {
		sent, want := c[0], c[1]
		if err := sender.Send(ctx, "values", sent); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		vals, err := in.next(t).Values()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !equalValue(vals[0], want) {
			t.Errorf("%s: sent %#v, received %#v", name, sent, vals[0])
		}
		// And back as a response payload.
		resp, err := sender.Request(ctx, "echo", sent)
		if err != nil {
			t.Fatalf("%s: request: %v", name, err)
		}
		got, err := resp.Value()
		if err != nil || !equalValue(got, want) {
			t.Errorf("%s: echoed %#v, %v", name, got, err)
		}
	}
}

func equalValue(a, b any) bool {
	if ta, ok := a.(time.Time); ok {
		tb, ok := b.(time.Time)
		return ok && ta.Equal(tb)
	}
	return reflect.DeepEqual(a, b)
}

func TestTypedDecoding(t *testing.T) {
	h := hubtest.Start(t, hub.Config{})
	ctx := ctxT(t)
	c := hubtest.Dial(t, h, "typed", nil)
	type point struct {
		X, Y int
		Tag  string `msgpack:"tag"`
	}
	in := newInbox()
	c.On("typed", in.listener)
	if err := c.Send(ctx, "typed", point{1, 2, "p"}, []int{4, 5}, "extra"); err != nil {
		t.Fatal(err)
	}
	var p point
	var xs []int
	if err := in.next(t).Args(&p, &xs); err != nil {
		t.Fatal(err)
	}
	if p != (point{1, 2, "p"}) || !reflect.DeepEqual(xs, []int{4, 5}) {
		t.Fatalf("decoded %+v %v", p, xs)
	}
}

func TestBinaryJustUnderTheFrameLimit(t *testing.T) {
	h := hubtest.Start(t, hub.Config{})
	ctx := ctxT(t)
	sender := hubtest.Dial(t, h, "sender", nil)
	receiver := hubtest.Dial(t, h, "receiver", nil)
	in := newInbox()
	receiver.On("big", in.listener)
	waitSubscribed(t, h, "big", 1)
	// The frame adds a header and the args array to the payload: leave 1 KiB.
	payload := bytes.Repeat([]byte{0xab, 0xcd}, (wire.DefaultMaxFrameBytes-1024)/2)
	if err := sender.Send(ctx, "big", payload); err != nil {
		t.Fatal(err)
	}
	var got []byte
	if err := in.next(t).Args(&got); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, payload) {
		t.Fatalf("received %d bytes, not the %d sent", len(got), len(payload))
	}
}
