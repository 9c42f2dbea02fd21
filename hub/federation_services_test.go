package hub_test

import (
	"context"
	"testing"
	"time"

	"github.com/ipcbus/ipcbus/hub"
	"github.com/ipcbus/ipcbus/hub/hubtest"
	"github.com/ipcbus/ipcbus/shared/bus"
	"github.com/ipcbus/ipcbus/shared/wire"
)

// greeter is the service of the federation tests.
type greeter struct{ hub string }

func (g greeter) Hello(_ context.Context, who string) (string, error) {
	return "hello " + who + " from " + g.hub, nil
}

// A service on one hub is available, called and followed from the others;
// queryServices lists it everywhere and forgets it when it stops.
func TestFederationServicesAcrossHubs(t *testing.T) {
	hubs := fedHubsBeating(t, natsCluster(t, 3), 100*time.Millisecond, time.Second)
	ctx := fedCtx(t)
	host := hubtest.Dial(t, hubs[1], "host", nil)
	user := hubtest.Dial(t, hubs[0], "user", nil)
	asker := hubtest.Dial(t, hubs[2], "asker", nil)
	svc, err := bus.NewService(host, "greeter", greeter{hub: "hub1"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Start(ctx); err != nil {
		t.Fatal(err)
	}
	for _, c := range []*bus.Client{user, asker} {
		hubtest.Eventually(t, 10*time.Second, "the service available across hubs", func() bool {
			return askAvailable(t, c, "greeter")
		})
	}
	if askAvailable(t, user, "no-such-service") {
		t.Error("a service no hub has is available")
	}
	var list []hub.ServiceState
	hubtest.Eventually(t, 10*time.Second, "hub 2 listing the service of hub 1", func() bool {
		list = queryServices(t, asker)
		return len(list) > 0
	})
	if len(list) != 1 || list[0].Name != "greeter" || list[0].Peer.ID != host.Peer().ID || len(list[0].CallHandlers) == 0 {
		t.Fatalf("queryServices on hub 2: %+v, want greeter on %#x", list, host.Peer().ID)
	}

	p := bus.NewServiceProxy(user, "greeter", nil)
	defer p.Close()
	events := make(chan string, 4)
	p.On("news", func(e *bus.Event) {
		var s string
		if e.Args(&s) == nil {
			events <- s
		}
	})
	stopped := make(chan struct{}, 1)
	p.On(bus.ServiceEventStop, func(*bus.Event) { stopped <- struct{}{} })
	if err := p.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	got, err := bus.CallAs[string](ctx, p, "Hello", "user")
	if err != nil || got != "hello user from hub1" {
		t.Fatalf("call across hubs: %q, %v", got, err)
	}
	hubtest.Eventually(t, 10*time.Second, "the service's event across hubs", func() bool {
		if err := svc.SendEvent(ctx, "news", "fresh"); err != nil {
			t.Fatal(err)
		}
		select {
		case s := <-events:
			return s == "fresh"
		case <-time.After(20 * time.Millisecond):
			return false
		}
	})

	if err := svc.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case <-stopped:
	case <-ctx.Done():
		t.Fatal("the proxy on hub 0 never heard the service stop")
	}
	if askAvailable(t, asker, "greeter") {
		t.Error("the stopped service is still available on hub 2")
	}
	if list := queryServices(t, user); len(list) != 0 {
		t.Errorf("queryServices after the stop: %+v", list)
	}
}

// queryState answers for the whole federation: each other hub's state,
// with its peers, under Hubs.
func TestFederationStateShowsEveryHub(t *testing.T) {
	hubs := fedHubsBeating(t, natsCluster(t, 3), 100*time.Millisecond, time.Second)
	asker := hubtest.Dial(t, hubs[0], "asker", nil)
	var ids []uint64
	for _, h := range hubs[1:] {
		c := hubtest.Dial(t, h, "peer-of-"+h.State().Hub, nil)
		ids = append(ids, c.Peer().ID)
	}
	var s hub.State
	hubtest.Eventually(t, 10*time.Second, "every hub in the state", func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		resp, err := asker.Request(ctx, wire.ChannelQueryState)
		if err != nil {
			t.Fatal(err)
		}
		s = hub.State{}
		if err := resp.Decode(&s); err != nil {
			t.Fatal(err)
		}
		return len(s.Hubs) == 2
	})
	if s.Hub != "hub0" || s.HubID != 1 {
		t.Errorf("the asker's hub is %q (id %d)", s.Hub, s.HubID)
	}
	for i, o := range s.Hubs {
		if o.Hub != hubs[i+1].State().Hub || o.HubID != uint32(i+2) {
			t.Errorf("hubs[%d] is %q (id %d)", i, o.Hub, o.HubID)
		}
		found := false
		for _, c := range o.Connections {
			for _, p := range c.Peers {
				found = found || p.ID == ids[i]
			}
		}
		if !found {
			t.Errorf("%s's state lacks its peer %#x: %+v", o.Hub, ids[i], o.Connections)
		}
	}
}
