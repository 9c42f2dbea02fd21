//go:build !js

package bus_test

import (
	"strings"
	"testing"
	"time"

	"github.com/ipcbus/ipcbus/hub"
	"github.com/ipcbus/ipcbus/hub/hubtest"
	"github.com/ipcbus/ipcbus/shared/bus"
	"github.com/ipcbus/ipcbus/shared/wire"
)

// A spy attaches itself again when its client reconnects to a restarted
// hub, with the same filter: it sees the new hub's traffic on the channels
// it asked for and not the others.
func TestSpyReattachesAfterReconnect(t *testing.T) {
	r := hubtest.StartRestartable(t, hub.Config{LameDuckWindow: 20 * time.Millisecond})
	ctx := ctxT(t)
	spyst, sst := newStatuses(), newStatuses()
	watcher := dialTo(t, r.Addr(), fastReconnect("watcher", spyst))
	sender := dialTo(t, r.Addr(), fastReconnect("sender", sst))
	events := make(chan bus.SpyEvent, 100)
	stop, err := watcher.Spy(ctx, bus.SpyFilter{Channels: []string{"app/**"}}, func(ev bus.SpyEvent) {
		if ev.Kind == wire.SpySend {
			events <- ev
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	sendSeen := func(channel, marker string) {
		t.Helper()
		if err := sender.Send(ctx, channel, marker); err != nil {
			t.Fatal(err)
		}
	}
	nextSend := func() bus.SpyEvent {
		t.Helper()
		select {
		case ev := <-events:
			return ev
		case <-time.After(10 * time.Second):
			t.Fatal("no send event within 10 s")
			return bus.SpyEvent{}
		}
	}

	sendSeen("app/a", "before")
	if ev := nextSend(); ev.Channel != "app/a" || !strings.Contains(ev.Preview, "before") {
		t.Fatalf("before the restart the spy saw %+v", ev)
	}

	r.Kill()
	spyst.waitFor(t, bus.StatusDisconnected, 1)
	sst.waitFor(t, bus.StatusDisconnected, 1)
	r.Start()
	spyst.waitFor(t, bus.StatusConnected, 2)
	sst.waitFor(t, bus.StatusConnected, 2)

	// The re-attach is a request of the engine's after the reconnect:
	// wait until the new hub has the spy, then check the filter held.
	hubtest.Eventually(t, 5*time.Second, "the new hub to have a spy", func() bool {
		for _, c := range r.Hub().State().Connections {
			for _, p := range c.Peers {
				if p.Spy && p.Name == "watcher" {
					return true
				}
			}
		}
		return false
	})
	sendSeen("other/x", "filtered out")
	sendSeen("app/b/c", "after")
	if ev := nextSend(); ev.Channel != "app/b/c" || !strings.Contains(ev.Preview, "after") || ev.From.Name != "sender" {
		t.Fatalf("after the restart the spy saw %+v", ev)
	}
}
