//go:build !js

package bus

import (
	"bytes"
	"errors"
	"runtime"
	"testing"

	"github.com/ipcbus/ipcbus/shared/wire"
)

// hostile payloads a peer may send, as args arrays.
func hostileArgs() map[string][]byte {
	wide := func(n int, elem byte) []byte {
		b := wire.AppendArrayLen([]byte{0x91}, n)
		return append(b, bytes.Repeat([]byte{elem}, n)...)
	}
	return map[string][]byte{
		"nested 4 MB":           append(bytes.Repeat([]byte{0x91}, 4<<20), 0xc0),
		"4 MiB of empty maps":   wide(4<<20, 0x80),
		"4 MiB of empty arrays": wide(4<<20, 0x90),
	}
}

// TestHostilePayloadsFailToDecode: every way a Go listener decodes a peer's
// payload returns an error it can test, where it used to crash the process
// (stack overflow) or allocate 160-260 MiB, and allocates little doing so.
func TestHostilePayloadsFailToDecode(t *testing.T) {
	for name, args := range hostileArgs() {
		arg := args[1:] // the one argument
		e := &Event{args: args}
		var v any
		var m []any
		decodes := map[string]func() error{
			"Event.Values":       func() error { _, err := e.Values(); return err },
			"Event.Args(&any)":   func() error { return e.Args(&v) },
			"Event.Args(&[]any)": func() error { return e.Args(&m) },
			"Response.Decode":    func() error { return (&Response{payload: arg}).Decode(&v) },
			"Response.Value":     func() error { _, err := (&Response{payload: arg}).Value(); return err },
			"PortMessage.Value":  func() error { _, err := (&PortMessage{data: arg}).Value(); return err },
			"ServiceCall.Values": func() error { _, err := (&ServiceCall{args: args}).Values(); return err },
			"ServiceCall.Args":   func() error { return (&ServiceCall{args: args}).Args(&v) },
		}
		for how, decode := range decodes {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			err := decode()
			runtime.ReadMemStats(&after)
			if !errors.Is(err, ErrMalformed) || !(errors.Is(err, ErrTooDeep) || errors.Is(err, ErrTooComplex)) {
				t.Errorf("%s, %s: %v, want ErrTooDeep or ErrTooComplex", name, how, err)
			}
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 1<<20 {
				t.Errorf("%s, %s: allocated %d bytes to refuse it", name, how, alloc)
			}
		}
	}
	// Typed destinations are bounded by depth, not by the generic budget.
	var maps []map[string]int
	few := append(wire.AppendArrayLen([]byte{0x91}, 1<<16), bytes.Repeat([]byte{0x80}, 1<<16)...)
	if err := (&Event{args: few}).Args(&maps); err != nil || len(maps) != 1<<16 {
		t.Fatalf("typed decode: %d maps, %v", len(maps), err)
	}
}

// FuzzPayload checks that no payload makes the engine's decoders panic or
// crash, whatever the destination, and that a payload they accept as
// generic values re-encodes to one they accept again.
func FuzzPayload(f *testing.F) {
	for _, v := range [][]any{
		{}, {nil, true, int64(-3), 1.5, "héllo", []byte{1, 2}},
		{map[string]any{"a": []any{1, map[string]any{"b": nil}}}},
		{ServiceStatus{Started: true, CallHandlers: []string{"add"}}},
		{map[string]any{"handlerName": "add", "args": []any{1, 2}}},
		{map[string]any{"eventName": ServiceWrapperEvent, "args": []any{"tick", []any{1}}}},
	} {
		b, err := encodeArgs(nil, v)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add(append(bytes.Repeat([]byte{0x91}, wire.MaxDepth+1), 0xc0))
	f.Add([]byte{0x91, 0xdc, 0x00, 0x10, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80})
	f.Fuzz(func(t *testing.T, b []byte) {
		if wire.CheckNesting(b) != nil {
			return // the frame decoder refuses it before any listener sees it
		}
		e := &Event{args: b}
		values, err := e.Values()
		var (
			a      any
			s      string
			n      int64
			st     ServiceStatus
			call   serviceCallIn
			ev     serviceEventIn
			list   []any
			object map[string]any
		)
		e.Args(&a, &s, &n)
		e.Args(&st)
		e.Args(&call)
		e.Args(&ev)
		e.Args(&list, &object)
		splitWrapperArgs(b)
		(&Response{payload: b}).Decode(&st)
		(&PortMessage{data: b}).Value()
		if err != nil {
			return
		}
		again, err := encodeArgs(nil, values)
		if err != nil {
			t.Fatalf("decoded %v, which does not encode: %v", values, err)
		}
		if _, err := (&Event{args: again}).Values(); err != nil && !errors.Is(err, ErrTooComplex) {
			t.Fatalf("re-encoding of %v does not decode: %v", values, err)
		}
	})
}
