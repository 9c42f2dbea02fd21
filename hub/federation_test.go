package hub_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/ipcbus/ipcbus/hub"
	"github.com/ipcbus/ipcbus/hub/hubtest"
	"github.com/ipcbus/ipcbus/shared/bus"
)

// natsCluster starts n NATS servers on loopback, routed to each other,
// and stops them at cleanup (after the hubs, started later).
func natsCluster(t testing.TB, n int) []*server.Server {
	t.Helper()
	var srvs []*server.Server
	for i := range n {
		o := &server.Options{
			ServerName: fmt.Sprintf("n%d", i),
			Host:       "127.0.0.1",
			Port:       -1,
			NoLog:      true,
			NoSigs:     true,
			Cluster:    server.ClusterOpts{Name: "test", Host: "127.0.0.1", Port: -1},
		}
		if i > 0 {
			o.Routes = server.RoutesFromStr("nats-route://" + srvs[0].ClusterAddr().String())
		}
		s, err := server.NewServer(o)
		if err != nil {
			t.Fatal(err)
		}
		s.Start()
		if !s.ReadyForConnections(10 * time.Second) {
			t.Fatal("NATS server not ready")
		}
		t.Cleanup(func() { s.Shutdown(); s.WaitForShutdown() })
		srvs = append(srvs, s)
	}
	hubtest.Eventually(t, 10*time.Second, "a full NATS mesh", func() bool {
		for _, s := range srvs {
			if s.NumRoutes() < n-1 {
				return false
			}
		}
		return true
	})
	return srvs
}

// fedHubs starts one hub per NATS server, each joining its own server
// first (and the others to fail over to).
func fedHubs(t testing.TB, srvs []*server.Server) []*hub.Hub {
	t.Helper()
	var hubs []*hub.Hub
	for i, s := range srvs {
		urls := []string{s.ClientURL()}
		for j, o := range srvs {
			if j != i {
				urls = append(urls, o.ClientURL())
			}
		}
		hubs = append(hubs, hubtest.Start(t, hub.Config{
			Name: fmt.Sprintf("hub%d", i),
			NATS: hub.NATSConfig{URLs: urls, HubID: uint32(i + 1)},
		}))
	}
	return hubs
}

func fedCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// echo makes c answer requests on channel with their first argument.
func echo(c *bus.Client, channel string) {
	c.On(channel, func(e *bus.Event) {
		if e.Request == nil {
			return
		}
		v, err := e.Values()
		if err != nil || len(v) == 0 {
			e.Request.Reject("no value")
			return
		}
		e.Request.Resolve(v[0])
	})
}

// awaitResponder retries a request on channel until some hub's listener
// answers: interest takes a NATS round trip to reach the other hubs.
func awaitResponder(t testing.TB, c *bus.Client, to bus.Target, channel string) {
	t.Helper()
	ctx := fedCtx(t)
	for {
		_, err := c.RequestTo(ctx, to, channel, "probe")
		if err == nil {
			return
		}
		if !errors.Is(err, bus.ErrNoListener) {
			t.Fatalf("probe on %s: %v", channel, err)
		}
		select {
		case <-ctx.Done():
			t.Fatalf("no responder on %s across hubs", channel)
		case <-time.After(5 * time.Millisecond):
		}
	}
}

func TestFederationValuesRoundTripAcrossHubs(t *testing.T) {
	hubs := fedHubs(t, natsCluster(t, 3))
	ctx := fedCtx(t)
	a := hubtest.Dial(t, hubs[0], "a", nil)
	b := hubtest.Dial(t, hubs[1], "b", nil)
	c := hubtest.Dial(t, hubs[2], "c", nil)
	if a.Peer().ID>>32 != 1 || b.Peer().ID>>32 != 2 || c.Peer().ID>>32 != 3 {
		t.Fatalf("peer ids %#x %#x %#x do not carry their hub ids", a.Peer().ID, b.Peer().ID, c.Peer().ID)
	}
	echo(b, "echo")
	got := make(chan *bus.Event, 16)
	c.On("values", func(e *bus.Event) { got <- e })
	echo(c, "values") // the probe's answer: c's interest reached hub 0
	awaitResponder(t, a, bus.Target{}, "echo")
	awaitResponder(t, a, bus.Target{}, "values")
	for len(got) > 0 {
		<-got // the probes
	}
	values := map[string]any{
		"true": true, "int": int64(45698), "negative": int64(-45698), "float": 12302.23,
		"big": int64(99999999999999), "empty": "", "4 KiB": strings.Repeat("x", 4096),
		"non-ASCII": "héllo wörld, 日本語, 🚌", "array": []any{true, int64(0), "s", nil},
		"map":   map[string]any{"a": map[string]any{"b": nil, "c": []any{"d"}}},
		"bytes": []byte{0, 1, 2, 255},
	}
	for name, v := range values {
		resp, err := a.Request(ctx, "echo", v)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		back, err := resp.Value()
		if err != nil || !reflect.DeepEqual(back, v) {
			t.Errorf("%s: echoed across hubs %#v, %v", name, back, err)
		}
		if resp.Sender.ID != b.Peer().ID {
			t.Errorf("%s: answered by %#x, not b (%#x)", name, resp.Sender.ID, b.Peer().ID)
		}
		if err := a.Send(ctx, "values", v); err != nil {
			t.Fatal(err)
		}
		e := <-got
		vals, err := e.Values()
		if err != nil || !reflect.DeepEqual(vals[0], v) {
			t.Errorf("%s: sent across hubs, got %#v, %v", name, vals, err)
		}
		if e.Sender.ID != a.Peer().ID || e.Sender.Name != "a" {
			t.Errorf("%s: sender %+v, not a", name, e.Sender)
		}
	}
}

func TestFederationSendToAndRequestToAcrossHubs(t *testing.T) {
	hubs := fedHubs(t, natsCluster(t, 3))
	ctx := fedCtx(t)
	a := hubtest.Dial(t, hubs[0], "a", nil)
	b1 := hubtest.Dial(t, hubs[1], "b1", nil)
	b2 := hubtest.Dial(t, hubs[1], "b2", nil)
	c := hubtest.Dial(t, hubs[2], "c", nil)
	var b2Got atomic.Int64
	got := make(chan *bus.Event, 16)
	b1.On("direct", func(e *bus.Event) {
		if e.Request != nil {
			e.Request.Resolve("b1")
			return
		}
		got <- e
	})
	b2.On("direct", func(e *bus.Event) {
		b2Got.Add(1)
		if e.Request != nil {
			e.Request.Resolve("b2")
		}
	})
	c.On("direct", func(e *bus.Event) {
		if e.Request != nil {
			e.Request.Resolve("c")
		}
	})
	to := bus.ToPeer(b1.Peer())
	// Directed messages go to the peer's hub, whose subject a hub
	// subscribes at once: no wait for interest.
	resp, err := a.RequestTo(ctx, to, "direct", "hi")
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := resp.Value(); v != "b1" {
		t.Fatalf("requestTo b1 answered by %v", v)
	}
	if err := a.SendTo(ctx, to, "direct", "only b1"); err != nil {
		t.Fatal(err)
	}
	e := <-got
	if e.To != b1.Peer().ID {
		t.Errorf("sendTo arrived addressed to %#x", e.To)
	}
	// A peer that does not listen, a peer that left, a hub that does not
	// exist: no-listener at once.
	if _, err := a.RequestTo(ctx, to, "nobody-here", "x"); !errors.Is(err, bus.ErrNoListener) {
		t.Errorf("requestTo a channel b1 does not listen to: %v", err)
	}
	if _, err := a.RequestTo(ctx, bus.Target{Peer: 77<<32 | 1}, "direct", "x"); !errors.Is(err, bus.ErrNoListener) {
		t.Errorf("requestTo a peer of no hub: %v", err)
	}
	if n := b2Got.Load(); n != 0 {
		t.Errorf("b2 got %d messages addressed to b1", n)
	}
}

func TestFederationRequestFirstResponderAndNoListener(t *testing.T) {
	hubs := fedHubs(t, natsCluster(t, 3))
	ctx := fedCtx(t)
	a := hubtest.Dial(t, hubs[0], "a", nil)
	slow := hubtest.Dial(t, hubs[1], "slow", nil)
	fast := hubtest.Dial(t, hubs[2], "fast", nil)

	start := time.Now()
	if _, err := a.Request(ctx, "nobody", 1); !errors.Is(err, bus.ErrNoListener) {
		t.Fatalf("request no hub listens to: %v", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("no-listener took %v", d)
	}

	release := make(chan struct{})
	var slowAsked atomic.Int64
	slow.On("q", func(e *bus.Event) {
		if e.Request == nil {
			return
		}
		if v, _ := e.Values(); len(v) > 0 && v[0] == "probe" {
			e.Request.Resolve("slow-probe")
			return
		}
		slowAsked.Add(1)
		go func() { <-release; e.Request.Resolve("slow") }()
	})
	echo(fast, "q")
	awaitResponder(t, a, bus.Target{}, "q")
	// Both hubs' interest must have reached hub 0; the fast one answers
	// the probe only once its own subscription is there.
	hubtest.Eventually(t, 10*time.Second, "both responders reached", func() bool {
		r, err := a.Request(ctx, "q", "probe")
		if err != nil {
			t.Fatal(err)
		}
		v, _ := r.Value()
		return v == "probe"
	})
	for i := range 20 {
		r, err := a.Request(ctx, "q", i)
		if err != nil {
			t.Fatal(err)
		}
		if v, _ := r.Value(); v != int64(i) {
			t.Fatalf("request %d answered %v, not by the first responder", i, v)
		}
	}
	close(release)
	if slowAsked.Load() == 0 {
		t.Error("the slow responder on another hub never got the requests")
	}
	// A local responder and a remote one: still the first.
	echo(a, "local")
	if r, err := a.Request(ctx, "local", "x"); err != nil {
		t.Fatal(err)
	} else if v, _ := r.Value(); v != "x" {
		t.Fatalf("local answered %v", v)
	}
}

// TestFederationExactlyOnce counts every message at every listener: each
// sent once reaches each listener on each hub once, the sender's own
// listener included.
func TestFederationExactlyOnce(t *testing.T) {
	const total = 100_000
	const probe, marker = -2, -1
	hubs := fedHubs(t, natsCluster(t, 3))
	ctx := fedCtx(t)
	sender := hubtest.Dial(t, hubs[0], "sender", nil)
	var clients []*bus.Client
	for i, h := range hubs {
		for j := range 2 {
			clients = append(clients, hubtest.Dial(t, h, fmt.Sprintf("r%d.%d", i, j), nil))
		}
	}
	clients = append(clients, sender)
	counts := make([][]atomic.Uint32, len(clients))
	probes := make([]atomic.Int64, len(clients))
	var done sync.WaitGroup
	for i, c := range clients {
		counts[i] = make([]atomic.Uint32, total)
		done.Add(1)
		c.On("count", func(e *bus.Event) {
			var n int
			if err := e.Args(&n); err != nil {
				return
			}
			switch {
			case n == probe:
				probes[i].Add(1)
			case n == marker:
				done.Done()
			case n >= 0 && n < total:
				counts[i][n].Add(1)
			}
		})
	}
	// Probes until every listener heard one: every hub's interest reached
	// the sender's.
	hubtest.Eventually(t, 10*time.Second, "every listener reached", func() bool {
		if err := sender.Send(ctx, "count", probe); err != nil {
			t.Fatal(err)
		}
		for i := range probes {
			if probes[i].Load() == 0 {
				return false
			}
		}
		return true
	})
	start := time.Now()
	for n := range total {
		if err := sender.Send(ctx, "count", n); err != nil {
			t.Fatal(err)
		}
	}
	// The marker comes after them all on each path: once every listener
	// has it, no copy of a message is still on its way.
	if err := sender.Send(ctx, "count", marker); err != nil {
		t.Fatal(err)
	}
	waited := make(chan struct{})
	go func() { done.Wait(); close(waited) }()
	select {
	case <-waited:
	case <-ctx.Done():
		t.Fatal("the marker did not reach every listener")
	}
	elapsed := time.Since(start)
	for i, cs := range counts {
		for n := range cs {
			if v := cs[n].Load(); v != 1 {
				t.Fatalf("listener %s got message %d %d times", clients[i].Peer().Name, n, v)
			}
		}
	}
	t.Logf("%d messages to %d listeners on 3 hubs in %v (%.0f msg/s sent)", total, len(clients), elapsed, total/elapsed.Seconds())
}

// TestFederationNATSNodeKilled kills the NATS node one hub is connected
// to while another hub sends: the hub fails over to another node and its
// listener hears the traffic again; the third hub, whose node lives, hears
// every message exactly once.
func TestFederationNATSNodeKilled(t *testing.T) {
	const probe, marker = -2, -1
	srvs := natsCluster(t, 3)
	hubs := fedHubs(t, srvs)
	ctx := fedCtx(t)
	sender := hubtest.Dial(t, hubs[0], "sender", nil)
	type counter struct {
		mu     sync.Mutex
		seen   map[int]int
		probes int
		marked bool
	}
	var cs [2]counter
	for i, h := range hubs[1:] {
		cs[i].seen = make(map[int]int)
		c := hubtest.Dial(t, h, fmt.Sprintf("r%d", i+1), nil)
		c.On("traffic", func(e *bus.Event) {
			var n int
			if e.Args(&n) != nil {
				return
			}
			k := &cs[i]
			k.mu.Lock()
			defer k.mu.Unlock()
			switch n {
			case probe:
				k.probes++
			case marker:
				k.marked = true
			default:
				k.seen[n]++
			}
		})
	}
	heard := func(i int, f func(k *counter) bool) bool {
		cs[i].mu.Lock()
		defer cs[i].mu.Unlock()
		return f(&cs[i])
	}
	hubtest.Eventually(t, 10*time.Second, "both listeners reached", func() bool {
		if err := sender.Send(ctx, "traffic", probe); err != nil {
			t.Fatal(err)
		}
		return heard(0, func(k *counter) bool { return k.probes > 0 }) && heard(1, func(k *counter) bool { return k.probes > 0 })
	})
	victim := hubs[1].NATSConnectedURL()
	if victim != srvs[1].ClientURL() {
		t.Fatalf("hub 1 is on %s, not its first URL %s", victim, srvs[1].ClientURL())
	}
	n := 0
	send := func(count int) {
		for range count {
			if err := sender.Send(ctx, "traffic", n); err != nil {
				t.Fatal(err)
			}
			n++
		}
	}
	send(5000)
	srvs[1].Shutdown()
	hubtest.Eventually(t, 10*time.Second, "hub 1 on another node", func() bool {
		send(10)
		u := hubs[1].NATSConnectedURL()
		return u != "" && u != victim
	})
	after := n
	hubtest.Eventually(t, 10*time.Second, "hub 1's listener hearing traffic again", func() bool {
		send(10)
		return heard(0, func(k *counter) bool {
			for m := range k.seen {
				if m >= after {
					return true
				}
			}
			return false
		})
	})
	send(5000)
	hubtest.Eventually(t, 10*time.Second, "the markers", func() bool {
		if err := sender.Send(ctx, "traffic", marker); err != nil {
			t.Fatal(err)
		}
		return heard(0, func(k *counter) bool { return k.marked }) && heard(1, func(k *counter) bool { return k.marked })
	})
	heard(0, func(k *counter) bool {
		for m, c := range k.seen {
			if c != 1 {
				t.Errorf("hub 1's listener got message %d %d times", m, c)
			}
		}
		t.Logf("hub 1's listener (its node killed) heard %d of %d messages", len(k.seen), n)
		return true
	})
	heard(1, func(k *counter) bool {
		for m := range n {
			if k.seen[m] != 1 {
				t.Fatalf("hub 2's listener (its node alive) got message %d %d times", m, k.seen[m])
			}
		}
		return true
	})
}

// BenchmarkFederationRequest: a request from hub 0 answered on hub 1;
// reports the p50 round trip.
func BenchmarkFederationRequest(b *testing.B) {
	hubs := fedHubs(b, natsCluster(b, 3))
	ctx := fedCtx(b)
	a := hubtest.Dial(b, hubs[0], "a", nil)
	r := hubtest.Dial(b, hubs[1], "r", nil)
	echo(r, "echo")
	awaitResponder(b, a, bus.Target{}, "echo")
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		if _, err := a.Request(ctx, "echo", 1); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
}
