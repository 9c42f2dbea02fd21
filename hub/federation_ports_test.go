package hub_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/ipcbus/ipcbus/hub"
	"github.com/ipcbus/ipcbus/hub/hubtest"
	"github.com/ipcbus/ipcbus/shared/bus"
)

// portTaker makes c take the ports sent on channel, telling each event on
// the returned channel.
func portTaker(c *bus.Client, channel string) <-chan *bus.Event {
	got := make(chan *bus.Event, 16)
	c.On(channel, func(e *bus.Event) { got <- e })
	return got
}

// awaitListener sends probes on channel from c until listener's hub hears
// one: interest takes a NATS round trip to reach the other hubs.
func awaitListener(t *testing.T, ctx context.Context, c *bus.Client, channel string, got <-chan *bus.Event) {
	t.Helper()
	for {
		if err := c.Send(ctx, channel, "probe"); err != nil {
			t.Fatal(err)
		}
		select {
		case <-got:
			for len(got) > 0 {
				<-got
			}
			return
		case <-time.After(20 * time.Millisecond):
		case <-ctx.Done():
			t.Fatalf("no listener on %s across hubs", channel)
		}
	}
}

// portFrom waits for the next event on got and returns the one port it
// must carry, sent by from.
func portFrom(t *testing.T, ctx context.Context, got <-chan *bus.Event, from *bus.Client) *bus.Port {
	t.Helper()
	var e *bus.Event
	select {
	case e = <-got:
	case <-ctx.Done():
		t.Fatal("the port did not cross hubs")
	}
	if len(e.Ports) != 1 || e.Sender.ID != from.Peer().ID {
		t.Fatalf("got %d ports from %#x, want 1 from %#x", len(e.Ports), e.Sender.ID, from.Peer().ID)
	}
	return e.Ports[0]
}

// closedSignal returns a channel closed when p is.
func closedSignal(p *bus.Port) <-chan struct{} {
	done := make(chan struct{})
	var once sync.Once
	p.OnClose(func() { once.Do(func() { close(done) }) })
	return done
}

func await(t *testing.T, ctx context.Context, what string, ch <-chan struct{}) {
	t.Helper()
	select {
	case <-ch:
	case <-ctx.Done():
		t.Fatalf("%s: timed out", what)
	}
}

// A port sent from hub 1 to a listener on hub 2 carries messages both
// ways in order, the ones posted before it arrived included, and a close
// on one side closes the other.
func TestFederationPortAcrossHubs(t *testing.T) {
	hubs := fedHubs(t, natsCluster(t, 2))
	ctx := fedCtx(t)
	a := hubtest.Dial(t, hubs[0], "a", nil)
	b := hubtest.Dial(t, hubs[1], "b", nil)
	got := portTaker(b, "take")
	awaitListener(t, ctx, a, "take", got)

	const n = 1000
	toB := make(chan int, n)
	toA := make(chan int, n)
	mine := a.NewPort()
	mine.OnMessage(func(m *bus.PortMessage) {
		var v int
		if err := m.Decode(&v); err == nil {
			toA <- v
		}
	})
	if err := a.PostMessage(ctx, "take", "a port", mine); err != nil {
		t.Fatal(err)
	}
	for i := range n / 2 { // before b has it: these wait at a hub
		if err := mine.Post(ctx, i); err != nil {
			t.Fatal(err)
		}
	}
	theirs := portFrom(t, ctx, got, a)
	theirs.OnMessage(func(m *bus.PortMessage) {
		var v int
		if err := m.Decode(&v); err == nil {
			toB <- v
		}
	})
	aClosed := closedSignal(mine)
	for i := n / 2; i < n; i++ {
		if err := mine.Post(ctx, i); err != nil {
			t.Fatal(err)
		}
	}
	for i := range n {
		if err := theirs.Post(ctx, i); err != nil {
			t.Fatal(err)
		}
	}
	for i := range n {
		select {
		case v := <-toB:
			if v != i {
				t.Fatalf("b got %d, want %d", v, i)
			}
		case <-ctx.Done():
			t.Fatalf("b got %d of %d", i, n)
		}
		select {
		case v := <-toA:
			if v != i {
				t.Fatalf("a got %d, want %d", v, i)
			}
		case <-ctx.Done():
			t.Fatalf("a got %d of %d", i, n)
		}
	}
	if err := theirs.Close(); err != nil {
		t.Fatal(err)
	}
	await(t, ctx, "a's end after b closed its own", aClosed)
	hubtest.Eventually(t, 10*time.Second, "no relay left on either hub", func() bool {
		return hub.RelayedPorts(hubs[0]) == 0 && hub.RelayedPorts(hubs[1]) == 0
	})
}

// With listeners on two other hubs, one of them gets the port and the
// other the message alone: each gets the message once.
func TestFederationPortGoesToOneHub(t *testing.T) {
	hubs := fedHubs(t, natsCluster(t, 3))
	ctx := fedCtx(t)
	a := hubtest.Dial(t, hubs[0], "a", nil)
	b := hubtest.Dial(t, hubs[1], "b", nil)
	c := hubtest.Dial(t, hubs[2], "c", nil)
	gotB := portTaker(b, "take")
	gotC := portTaker(c, "take")
	awaitListener(t, ctx, a, "take", gotB)
	awaitListener(t, ctx, a, "take", gotC)
	if err := a.Send(ctx, "take", "fence"); err != nil { // after every probe
		t.Fatal(err)
	}
	for _, got := range []<-chan *bus.Event{gotB, gotC} {
		for fenced := false; !fenced; {
			select {
			case e := <-got:
				v, _ := e.Values()
				fenced = len(v) == 1 && v[0] == "fence"
			case <-ctx.Done():
				t.Fatal("the fence did not arrive")
			}
		}
	}
	p := a.NewPort()
	if err := a.PostMessage(ctx, "take", "a port", p); err != nil {
		t.Fatal(err)
	}
	ports := 0
	var taker *bus.Port
	for _, got := range []<-chan *bus.Event{gotB, gotC} {
		select {
		case e := <-got:
			if v, err := e.Values(); err != nil || len(v) != 1 || v[0] != "a port" {
				t.Errorf("message %v, %v", v, err)
			}
			ports += len(e.Ports)
			if len(e.Ports) == 1 {
				taker = e.Ports[0]
			}
		case <-ctx.Done():
			t.Fatal("a listener missed the message")
		}
	}
	if ports != 1 {
		t.Fatalf("%d ports delivered across two hubs, want 1", ports)
	}
	echoed := make(chan string, 1)
	taker.OnMessage(func(m *bus.PortMessage) {
		var s string
		m.Decode(&s)
		echoed <- s
	})
	if err := p.Post(ctx, "hello"); err != nil {
		t.Fatal(err)
	}
	select {
	case s := <-echoed:
		if s != "hello" {
			t.Fatalf("got %q over the port", s)
		}
	case <-ctx.Done():
		t.Fatal("nothing over the port")
	}
	select {
	case e := <-gotB:
		t.Fatalf("b got the message twice: %+v", e)
	case e := <-gotC:
		t.Fatalf("c got the message twice: %+v", e)
	default:
	}
}

// A port sent where no hub listens is closed; so is one sent to a peer
// of another hub that is not there.
func TestFederationPortToNobodyIsClosed(t *testing.T) {
	hubs := fedHubs(t, natsCluster(t, 2))
	ctx := fedCtx(t)
	a := hubtest.Dial(t, hubs[0], "a", nil)
	b := hubtest.Dial(t, hubs[1], "b", nil)
	for _, to := range []bus.Target{{}, {Peer: b.Peer().ID + 1000}} {
		p := a.NewPort()
		closed := closedSignal(p)
		if err := a.PostMessageTo(ctx, to, "nobody", "a port", p); err != nil {
			t.Fatal(err)
		}
		await(t, ctx, fmt.Sprintf("a port sent to %+v, which no one takes", to), closed)
	}
	if n := hub.RelayedPorts(hubs[0]); n != 0 {
		t.Fatalf("%d relays left", n)
	}
}

// When the hub holding the far end is killed, the near end is closed
// once the heartbeat times out.
func TestFederationPortClosedWhenFarHubDies(t *testing.T) {
	hubs := fedHubsBeating(t, natsCluster(t, 2), 100*time.Millisecond, time.Second)
	ctx := fedCtx(t)
	a := hubtest.Dial(t, hubs[0], "a", nil)
	b := hubtest.Dial(t, hubs[1], "b", nil)
	got := portTaker(b, "take")
	awaitListener(t, ctx, a, "take", got)
	p := a.NewPort()
	closed := closedSignal(p)
	if err := a.PostMessage(ctx, "take", "a port", p); err != nil {
		t.Fatal(err)
	}
	portFrom(t, ctx, got, a)
	hubs[1].Kill()
	await(t, ctx, "a's port after b's hub died", closed)
	hubtest.Eventually(t, 10*time.Second, "no relay left", func() bool { return hub.RelayedPorts(hubs[0]) == 0 })
}

// A port its sender closes right after posting on it, before another hub
// took it: the receiver there gets the port, what was posted, in order,
// and the close.
func TestFederationPortClosedBeforeItArrives(t *testing.T) {
	hubs := fedHubs(t, natsCluster(t, 2))
	ctx := fedCtx(t)
	a := hubtest.Dial(t, hubs[0], "a", nil)
	b := hubtest.Dial(t, hubs[1], "b", nil)
	got := portTaker(b, "take")
	awaitListener(t, ctx, a, "take", got)
	p := a.NewPort()
	if err := a.PostMessage(ctx, "take", "a port", p); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if err := p.Post(ctx, i); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	theirs := portFrom(t, ctx, got, a)
	msgs := make(chan int, 8)
	closed := closedSignal(theirs)
	theirs.OnMessage(func(m *bus.PortMessage) {
		var v int
		if err := m.Decode(&v); err == nil {
			msgs <- v
		}
	})
	await(t, ctx, "b's end closed after a closed its own", closed)
	for i := range 3 {
		select {
		case v := <-msgs:
			if v != i {
				t.Fatalf("got %d, want %d", v, i)
			}
		case <-ctx.Done():
			t.Fatalf("message %d of 3 missing", i)
		}
	}
	hubtest.Eventually(t, 10*time.Second, "no relay left on either hub", func() bool {
		return hub.RelayedPorts(hubs[0]) == 0 && hub.RelayedPorts(hubs[1]) == 0
	})
}
