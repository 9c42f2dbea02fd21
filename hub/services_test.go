package hub_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/ipcbus/ipcbus/hub"
	"github.com/ipcbus/ipcbus/hub/hubtest"
	"github.com/ipcbus/ipcbus/shared/bus"
	"github.com/ipcbus/ipcbus/shared/wire"
)

// startEvent is a start event with its keys in the other order than the
// Go service sends them: the hub must not depend on the order.
type startEvent struct {
	Args      []any  `msgpack:"args"`
	EventName string `msgpack:"eventName"`
}

func askAvailable(t *testing.T, c *bus.Client, arg any) bool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	resp, err := c.Request(ctx, wire.ChannelServiceAvailable, arg)
	if err != nil {
		t.Fatal(err)
	}
	var ok bool
	if err := resp.Decode(&ok); err != nil {
		t.Fatal(err)
	}
	return ok
}

func queryServices(t *testing.T, c *bus.Client) []hub.ServiceState {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	resp, err := c.Request(ctx, wire.ChannelQueryServices)
	if err != nil {
		t.Fatal(err)
	}
	var list []hub.ServiceState
	if err := resp.Decode(&list); err != nil {
		t.Fatal(err)
	}
	return list
}

func TestServiceAvailabilityFollowsStartStopAndLeave(t *testing.T) {
	h := hubtest.Start(t, hub.Config{})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	asker := hubtest.Dial(t, h, "asker", nil)
	svc := hubtest.Dial(t, h, "svc", nil)
	callCh, eventCh := wire.ServiceCallChannel("s"), wire.ServiceEventChannel("s")
	status := map[string]any{"started": true, "callHandlers": []any{"a", "b"}, "supportEventEmitter": true}
	start := startEvent{EventName: "service-event-start", Args: []any{status}}
	stop := map[string]any{"eventName": "service-event-stop", "args": []any{map[string]any{}}}
	send := func(c *bus.Client, v any) {
		t.Helper()
		if err := c.Send(ctx, eventCh, v); err != nil {
			t.Fatal(err)
		}
		if err := c.Conn().Flush(ctx); err != nil { // the hub has seen it
			t.Fatal(err)
		}
	}

	// A start from a peer that does not listen on the call channel counts
	// for nothing, and so does listening without a start.
	send(svc, start)
	if askAvailable(t, asker, "s") || h.IsServiceAvailable("s") {
		t.Fatal("available without listening")
	}
	id := svc.On(callCh, func(*bus.Event) {})
	if err := svc.Conn().Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if askAvailable(t, asker, "s") {
		t.Fatal("available without a start")
	}

	send(svc, start)
	if !askAvailable(t, asker, "s") || !askAvailable(t, asker, map[string]any{"name": "s"}) || !h.IsServiceAvailable("s") {
		t.Fatal("not available after its start")
	}
	want := []hub.ServiceState{{Name: "s", Peer: svc.Peer(), CallHandlers: []string{"a", "b"}, SupportEventEmitter: true}}
	if got := queryServices(t, asker); !reflect.DeepEqual(got, want) {
		t.Fatalf("services %+v, want %+v", got, want)
	}
	if got := h.Services(); !reflect.DeepEqual(got, want) {
		t.Fatalf("Services() %+v", got)
	}
	// Other events on the channel change nothing.
	send(svc, map[string]any{"eventName": "service-wrapper-event", "args": []any{"x", []any{}}})
	if !h.IsServiceAvailable("s") {
		t.Fatal("a wrapper event stopped the service")
	}

	send(svc, stop)
	if askAvailable(t, asker, "s") || len(queryServices(t, asker)) != 0 {
		t.Fatal("available after its stop")
	}

	// No longer listening on the call channel: unavailable.
	send(svc, start)
	svc.Off(callCh, id)
	if err := svc.Conn().Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if askAvailable(t, asker, "s") {
		t.Fatal("available after it stopped listening")
	}

	// A peer leaving takes its services with it, even on a connection
	// that stays.
	peer := svc.Conn().NewClient("second", bus.Process{})
	if err := peer.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	peer.On(callCh, func(*bus.Event) {})
	send(peer, start)
	if !askAvailable(t, asker, "s") {
		t.Fatal("second peer's service not available")
	}
	if got := queryServices(t, asker); len(got) != 1 || got[0].Peer.ID != peer.Peer().ID {
		t.Fatalf("services %+v", got)
	}
	peer.Close()
	if err := svc.Conn().Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if askAvailable(t, asker, "s") || askAvailable(t, asker, "") || askAvailable(t, asker, 42) {
		t.Fatal("available after its peer left")
	}
}
