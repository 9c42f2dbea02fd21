//go:build !js

package bus

import (
	"context"
	"errors"
	"reflect"
	"testing"
)

// callFunc runs fn as a handler with args, as a call would.
func callFunc(t *testing.T, fn any, args ...any) (any, error) {
	t.Helper()
	h, err := FuncHandler(fn)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := encodeArgs(nil, args)
	if err != nil {
		t.Fatal(err)
	}
	return h(context.Background(), &ServiceCall{args: raw})
}

func TestFuncHandlerMapsArgsAndResults(t *testing.T) {
	type pt struct {
		X int `msgpack:"x"`
		Y int `msgpack:"y"`
	}
	boom := errors.New("boom")
	cases := []struct {
		name    string
		fn      any
		args    []any
		want    any
		wantErr error
	}{
		{"no result", func(int) {}, []any{1}, nil, nil},
		{"value", func(a, b int) int { return a + b }, []any{1, 2}, 3, nil},
		{"missing args are zero", func(a int, s string) string { return s }, []any{1}, "", nil},
		{"extra args ignored", func(a int) int { return a }, []any{7, 8, 9}, 7, nil},
		{"null into int", func(a int) int { return a }, []any{nil}, 0, nil},
		{"variadic", func(p string, xs ...int) int { return len(p) + len(xs) }, []any{"ab", 1, 2, 3}, 5, nil},
		{"struct from map", func(p pt) int { return p.X * p.Y }, []any{map[string]any{"x": 6, "y": 7}}, 42, nil},
		{"generic", func(v any) any { return v }, []any{map[string]any{"k": []any{true}}}, map[string]any{"k": []any{true}}, nil},
		{"pointer", func(p *pt) bool { return p == nil }, []any{nil}, true, nil},
		{"error only, nil", func() error { return nil }, nil, nil, nil},
		{"error only", func() error { return boom }, nil, nil, boom},
		{"value and error", func() (int, error) { return 0, boom }, nil, nil, boom},
		{"ctx", func(ctx context.Context, a int) (int, error) { return a, ctx.Err() }, []any{4}, 4, nil},
		{"raw handler", CallHandler(func(_ context.Context, c *ServiceCall) (any, error) { v, err := c.Values(); return len(v), err }), []any{1, 2}, 2, nil},
	}
	for _, c := range cases {
		got, err := callFunc(t, c.fn, c.args...)
		if !errors.Is(err, c.wantErr) || !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: got %#v, %v; want %#v, %v", c.name, got, err, c.want, c.wantErr)
		}
	}
	if _, err := callFunc(t, func(a int) int { return a }, "not a number"); err == nil {
		t.Error("a string decoded into an int")
	}
}

func TestFuncHandlerRefusesBadShapes(t *testing.T) {
	var nilFunc func()
	for _, fn := range []any{nil, 42, nilFunc, func() (int, int) { return 0, 0 }, func() (int, error, bool) { return 0, nil, false }} {
		if _, err := FuncHandler(fn); !errors.Is(err, ErrBadHandler) {
			t.Errorf("FuncHandler(%T) = %v, want ErrBadHandler", fn, err)
		}
	}
}

type badOuter struct{}

func (badOuter) Fine() int           { return 1 }
func (badOuter) Broken() (int, int)  { return 0, 0 }
func (badOuter) private() (int, int) { return 0, 0 }

func TestNewServiceRefusesABadMethod(t *testing.T) {
	c := NewConn(nil, nil).NewClient("svc", Process{})
	if _, err := NewService(c, "bad", badOuter{}, nil); !errors.Is(err, ErrBadHandler) {
		t.Fatalf("NewService = %v, want ErrBadHandler", err)
	}
}

type lowerOuter struct{}

func (lowerOuter) GetTime() int { return 1 }

func TestServiceStatusNamesHandlers(t *testing.T) {
	c := NewConn(nil, nil).NewClient("svc", Process{})
	lower := func(m string) string { return string(m[0]+'a'-'A') + m[1:] }
	s, err := NewService(c, "svc", lowerOuter{}, &ServiceOptions{MethodName: lower})
	if err != nil {
		t.Fatal(err)
	}
	s.RegisterCallHandler("_private", nil)
	s.RegisterCallHandler("later", nil)
	s.RegisterCallHandler("gone", nil)
	s.UnregisterCallHandler("gone")
	want := ServiceStatus{Started: false, CallHandlers: []string{"getTime", "later"}}
	if st := s.Status(); !reflect.DeepEqual(st, want) {
		t.Fatalf("status %+v, want %+v", st, want)
	}
}
