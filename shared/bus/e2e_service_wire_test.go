//go:build !js

package bus_test

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/ipcbus/ipcbus/hub"
	"github.com/ipcbus/ipcbus/hub/hubtest"
	"github.com/ipcbus/ipcbus/shared/bus"
)

// firstArg returns the first argument of e as a generic value.
func firstArg(t *testing.T, e *bus.Event) any {
	t.Helper()
	vals, err := e.Values()
	if err != nil || len(vals) == 0 {
		t.Fatalf("event on %s: %v, %v", e.Channel, vals, err)
	}
	return vals[0]
}

// TestServiceSpeaksTheOriginalsProtocol plays an electron-common-ipc proxy
// with a bare client: the messages a Go service sends and takes are the
// original's, field for field.
func TestServiceSpeaksTheOriginalsProtocol(t *testing.T) {
	h := hubtest.Start(t, hub.Config{})
	ctx := ctxT(t)
	js := hubtest.Dial(t, h, "js-proxy", nil)
	events := newInbox()
	js.On("/electron-ipc-bus/ipc-service/calc/event", events.listener)
	waitSubscribed(t, h, "/electron-ipc-bus/ipc-service/calc/event", 1)
	svc, _, _ := startService(t, h, "calc")

	handlers := make([]any, len(calcHandlers))
	for i, n := range calcHandlers {
		handlers[i] = n
	}
	wantStart := map[string]any{"eventName": "service-event-start", "args": []any{
		map[string]any{"started": true, "callHandlers": handlers, "supportEventEmitter": true},
	}}
	if got := firstArg(t, events.next(t)); !reflect.DeepEqual(got, wantStart) {
		t.Fatalf("start event %#v\nwant %#v", got, wantStart)
	}

	call := func(msg map[string]any) (any, error) {
		resp, err := js.Request(ctx, "/electron-ipc-bus/ipc-service/calc/call", msg)
		if err != nil {
			return nil, err
		}
		return resp.Value()
	}
	if v, err := call(map[string]any{"handlerName": "Add", "args": []any{1, 2}}); err != nil || v != int64(3) {
		t.Fatalf("Add = %#v, %v", v, err)
	}
	// JS may leave args undefined (nil on the wire).
	if v, err := call(map[string]any{"handlerName": "Sum", "args": nil}); err != nil || v != int64(0) {
		t.Fatalf("Sum with null args = %#v, %v", v, err)
	}
	if v, err := call(map[string]any{"handlerName": "__getServiceStatus", "args": []any{}}); err != nil ||
		!reflect.DeepEqual(v, wantStart["args"].([]any)[0]) {
		t.Fatalf("status = %#v, %v", v, err)
	}
	var rej *bus.RejectedError
	if _, err := call(map[string]any{"handlerName": "nope", "args": []any{}}); !errors.As(err, &rej) || rej.Message != "Function unknown !" {
		t.Fatalf("unknown handler: %v", err)
	}

	// The original's sendCall: a send on the call channel runs the handler
	// and answers nothing; here the handler emits a wrapper event.
	if err := js.Send(ctx, "/electron-ipc-bus/ipc-service/calc/call", map[string]any{"handlerName": "Trigger", "args": []any{"x"}}); err != nil {
		t.Fatal(err)
	}
	wantWrapper := map[string]any{"eventName": "service-wrapper-event", "args": []any{"MyEvent", []any{"x"}}}
	if got := firstArg(t, events.next(t)); !reflect.DeepEqual(got, wantWrapper) {
		t.Fatalf("wrapper event %#v", got)
	}
	if err := svc.SendEvent(ctx, "plain"); err != nil {
		t.Fatal(err)
	}
	if got := firstArg(t, events.next(t)); !reflect.DeepEqual(got, map[string]any{"eventName": "plain", "args": []any{}}) {
		t.Fatalf("plain event %#v", got)
	}
	if err := svc.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	wantStop := map[string]any{"eventName": "service-event-stop", "args": []any{map[string]any{}}}
	if got := firstArg(t, events.next(t)); !reflect.DeepEqual(got, wantStop) {
		t.Fatalf("stop event %#v", got)
	}
}

// TestProxySpeaksTheOriginalsProtocol plays an electron-common-ipc service
// with a bare client, for a Go proxy.
func TestProxySpeaksTheOriginalsProtocol(t *testing.T) {
	h := hubtest.Start(t, hub.Config{})
	ctx := ctxT(t)
	js := hubtest.Dial(t, h, "js-service", nil)
	const callCh, eventCh = "/electron-ipc-bus/ipc-service/jsvc/call", "/electron-ipc-bus/ipc-service/jsvc/event"
	status := map[string]any{"started": true, "callHandlers": []any{"getArg1"}, "supportEventEmitter": true}
	calls := newInbox()
	js.On(callCh, func(e *bus.Event) {
		vals, _ := e.Values()
		var msg map[string]any
		if len(vals) > 0 {
			msg, _ = vals[0].(map[string]any)
		}
		switch msg["handlerName"] {
		case "__getServiceStatus":
			e.Request.Resolve(status)
		case "getArg1":
			calls <- e
			e.Request.Resolve(msg["args"].([]any)[0])
		default:
			e.Request.Reject("Function unknown !")
		}
	})
	// A JS service sends its start event after it listens.
	waitSubscribed(t, h, callCh, 1)
	if err := js.Send(ctx, eventCh, map[string]any{"eventName": "service-event-start", "args": []any{status}}); err != nil {
		t.Fatal(err)
	}

	pc := hubtest.Dial(t, h, "go-proxy", nil)
	p := bus.NewServiceProxy(pc, "jsvc", nil)
	defer p.Close()
	if err := p.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	if st, peer := p.LastStatus(); !st.Started || !reflect.DeepEqual(st.CallHandlers, []string{"getArg1"}) || !st.SupportEventEmitter || peer.ID != js.Peer().ID {
		t.Fatalf("last status %+v from %+v", st, peer)
	}
	if ok, err := p.CheckAvailability(ctx); err != nil || !ok {
		t.Fatalf("available %v, %v", ok, err)
	}
	if s, err := bus.CallAs[string](ctx, p, "getArg1", "string"); err != nil || s != "string" {
		t.Fatalf("getArg1 = %q, %v", s, err)
	}
	if got := firstArg(t, calls.next(t)); !reflect.DeepEqual(got, map[string]any{"handlerName": "getArg1", "args": []any{"string"}}) {
		t.Fatalf("call message %#v", got)
	}

	wrapped, plain, stopped := newInbox(), newInbox(), newInbox()
	p.Wrapper().On("MyEvent", wrapped.listener)
	p.On("MyEvent", plain.listener)
	p.On(bus.ServiceEventStop, stopped.listener)
	js.Send(ctx, eventCh, map[string]any{"eventName": "service-wrapper-event", "args": []any{"MyEvent", []any{1, "two"}}})
	for _, in := range []inbox{wrapped, plain} {
		vals, err := in.next(t).Values()
		if err != nil || !reflect.DeepEqual(vals, []any{int64(1), "two"}) {
			t.Fatalf("wrapper event args %#v, %v", vals, err)
		}
	}
	js.Send(ctx, eventCh, map[string]any{"eventName": "service-event-stop", "args": []any{map[string]any{}}})
	stopped.next(t)
	if p.IsStarted() {
		t.Fatal("still started after the stop event")
	}
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if _, err := p.Call(short, "getArg1", 1); !errors.Is(err, bus.ErrTimeout) {
		t.Fatalf("call after stop: %v, want ErrTimeout (queued until the next start)", err)
	}
}
