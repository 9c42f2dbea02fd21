//go:build !js

package bus_test

import (
	"testing"

	"github.com/ipcbus/ipcbus/hub"
	"github.com/ipcbus/ipcbus/hub/hubtest"
	"github.com/ipcbus/ipcbus/shared/bus"
)

// TestProxyFollowsTheInstanceItConnectedTo runs two instances of one
// service name: the stops and events of the instance the proxy does not
// follow, a late stop from an earlier one included, leave the proxy
// started and its calls answered, as the hub says the service is
// available; when its own instance stops, it follows the other.
func TestProxyFollowsTheInstanceItConnectedTo(t *testing.T) {
	h := hubtest.Start(t, hub.Config{})
	ctx := ctxT(t)
	svcA, _, a := startService(t, h, "twin")
	pc := hubtest.Dial(t, h, "proxy", nil)
	p := bus.NewServiceProxy(pc, "twin", nil)
	if err := p.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	lifecycle := newInbox()
	p.On(bus.ServiceEventStart, lifecycle.listener)
	p.On(bus.ServiceEventStop, lifecycle.listener)
	events := newInbox()
	p.On("MyEvent", events.listener)
	// The proxy's client hears each event after the proxy did (its listener
	// was added first): when this one sees an event, the proxy handled it.
	seen := newInbox()
	pc.On(bus.ServiceEventChannel("twin"), seen.listener)

	following := func(want *bus.Client, when string) {
		t.Helper()
		if _, peer := p.LastStatus(); !p.IsStarted() || peer.ID != want.Peer().ID {
			t.Fatalf("%s: proxy started %v following peer %d, want peer %d", when, p.IsStarted(), peer.ID, want.Peer().ID)
		}
		resp, err := p.Call(ctx, "Echo", when)
		if err != nil {
			t.Fatalf("%s: call: %v", when, err)
		}
		if resp.Sender.ID != want.Peer().ID {
			t.Fatalf("%s: call answered by peer %d, want %d", when, resp.Sender.ID, want.Peer().ID)
		}
		if ok, err := p.CheckAvailability(ctx); err != nil || !ok {
			t.Fatalf("%s: available %v, %v", when, ok, err)
		}
	}
	following(a, "connected")

	svcB, _, b := startService(t, h, "twin")
	seen.next(t) // B's start
	following(a, "a second instance started")

	if err := svcB.SendEvent(ctx, "MyEvent", "from b"); err != nil {
		t.Fatal(err)
	}
	seen.next(t)
	if err := svcB.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	seen.next(t)
	following(a, "the second instance stopped")
	if err := svcB.Start(ctx); err != nil {
		t.Fatal(err)
	}
	seen.next(t)

	// Its own instance stops: the proxy says so, then follows the other.
	if err := svcA.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if e := lifecycle.next(t); e.Channel != bus.ServiceEventStop || e.Sender.ID != a.Peer().ID {
		t.Fatalf("got %s from peer %d, want the stop of peer %d", e.Channel, e.Sender.ID, a.Peer().ID)
	}
	if e := lifecycle.next(t); e.Channel != bus.ServiceEventStart || e.Sender.ID != b.Peer().ID {
		t.Fatalf("got %s from peer %d, want the start of peer %d", e.Channel, e.Sender.ID, b.Peer().ID)
	}
	following(b, "its instance stopped")

	// A late stop, and an event, from the earlier instance.
	for len(seen) > 0 {
		<-seen
	}
	if err := svcA.SendEvent(ctx, bus.ServiceEventStop); err != nil {
		t.Fatal(err)
	}
	seen.next(t)
	if err := svcA.SendEvent(ctx, "MyEvent", "from a"); err != nil {
		t.Fatal(err)
	}
	seen.next(t)
	following(b, "a late stop from the earlier instance")
	if err := svcB.SendEvent(ctx, "MyEvent", "from b, followed"); err != nil {
		t.Fatal(err)
	}
	if got := events.arg(t); got != "from b, followed" {
		t.Fatalf("proxy emitted MyEvent %q, want only the followed instance's", got)
	}
	if len(lifecycle) != 0 {
		t.Fatalf("proxy emitted %s after following b", (<-lifecycle).Channel)
	}
}
