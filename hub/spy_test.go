package hub_test

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ipcbus/ipcbus/hub"
	"github.com/ipcbus/ipcbus/hub/hubtest"
	"github.com/ipcbus/ipcbus/shared/bus"
	"github.com/ipcbus/ipcbus/shared/wire"
)

// spyOn attaches a spy client named name with filter and returns its events.
func spyOn(t *testing.T, h *hub.Hub, name string, filter bus.SpyFilter) chan bus.SpyEvent {
	t.Helper()
	c := hubtest.Dial(t, h, name, nil)
	events := make(chan bus.SpyEvent, 1000)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	stop, err := c.Spy(ctx, filter, func(ev bus.SpyEvent) { events <- ev })
	if err != nil {
		t.Fatalf("spy %s: %v", name, err)
	}
	t.Cleanup(stop)
	return events
}

// nextOf returns the next event of kind, skipping others; it fails after 10 s.
func nextOf(t *testing.T, events chan bus.SpyEvent, kind string) bus.SpyEvent {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case ev := <-events:
			if ev.Kind == kind {
				return ev
			}
		case <-timeout:
			t.Fatalf("no %s event within 10 s", kind)
		}
	}
}

// sendsUntil returns "sender>channel:preview" for each send event up to and
// including the one whose preview is marker.
func sendsUntil(t *testing.T, events chan bus.SpyEvent, marker string) []string {
	t.Helper()
	var got []string
	for {
		ev := nextOf(t, events, wire.SpySend)
		got = append(got, ev.From.Name+">"+ev.Channel+":"+ev.Preview)
		if strings.Contains(ev.Preview, marker) {
			return got
		}
	}
}

func names(peers []wire.Peer) []string {
	var s []string
	for _, p := range peers {
		s = append(s, p.Name+"/"+p.Process.Type)
	}
	slices.Sort(s)
	return s
}

// TestSpySeesTrafficBetweenOtherPeers: spies with a channel pattern, a
// deep pattern and a peer filter each see the sends between other peers
// that pass their filter, with sender, receivers, size and a preview.
func TestSpySeesTrafficBetweenOtherPeers(t *testing.T) {
	h := hubtest.Start(t, hub.Config{})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	oneSeg := spyOn(t, h, "spy-one", bus.SpyFilter{Channels: []string{"/app/*/in"}})
	deep := spyOn(t, h, "spy-deep", bus.SpyFilter{Channels: []string{"/app/**"}})
	byPeer := spyOn(t, h, "spy-carol", bus.SpyFilter{Peers: []string{"carol"}})
	all := spyOn(t, h, "spy-all", bus.SpyFilter{})

	alice := hubtest.Dial(t, h, "alice", nil)
	bob := hubtest.Dial(t, h, "bob", nil)
	carol := hubtest.Dial(t, h, "carol", nil)
	for _, ch := range []string{"/app/x/in", "/app/x/y/in", "other"} {
		bob.On(ch, func(*bus.Event) {})
	}
	carol.On("other", func(*bus.Event) {})
	for _, c := range []*bus.Client{bob, carol} {
		if err := c.Conn().Flush(ctx); err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range []struct{ ch, arg string }{{"/app/x/in", "hello"}, {"/app/x/y/in", "deeper"}, {"other", "to both"}} {
		if err := alice.Send(ctx, s.ch, s.arg, 42); err != nil {
			t.Fatal(err)
		}
	}
	if err := alice.Conn().Flush(ctx); err != nil { // routed, so seen before the marker
		t.Fatal(err)
	}
	if err := carol.Send(ctx, "/app/z/in", "end"); err != nil {
		t.Fatal(err)
	}

	check := func(name string, events chan bus.SpyEvent, want []string) {
		t.Helper()
		if got := sendsUntil(t, events, "end"); !slices.Equal(got, want) {
			t.Errorf("%s saw\n  %q\nwant\n  %q", name, got, want)
		}
	}
	check("/app/*/in", oneSeg, []string{`alice>/app/x/in:["hello", 42]`, `carol>/app/z/in:["end"]`})
	check("/app/**", deep, []string{`alice>/app/x/in:["hello", 42]`, `alice>/app/x/y/in:["deeper", 42]`, `carol>/app/z/in:["end"]`})
	check("peer carol", byPeer, []string{`alice>other:["to both", 42]`, `carol>/app/z/in:["end"]`})

	// The unfiltered spy sees the receivers, by name and process type.
	ev := nextOf(t, all, wire.SpySend)
	if ev.Channel != "/app/x/in" || ev.From.ID != alice.Peer().ID || ev.Size == 0 || ev.Time.IsZero() {
		t.Errorf("first send seen as %+v", ev)
	}
	if got := names(ev.To); !slices.Equal(got, []string{"bob/node"}) {
		t.Errorf("/app/x/in reached %v, want bob", got)
	}
	nextOf(t, all, wire.SpySend)
	if ev := nextOf(t, all, wire.SpySend); !slices.Equal(names(ev.To), []string{"bob/node", "carol/node"}) {
		t.Errorf("other reached %v, want bob and carol", names(ev.To))
	}
}

// TestSpySeesPeersJoinAndLeave: a spy filtered on a peer name sees it join
// and leave.
func TestSpySeesPeersJoinAndLeave(t *testing.T) {
	h := hubtest.Start(t, hub.Config{})
	events := spyOn(t, h, "spy", bus.SpyFilter{Peers: []string{"dave"}})
	dave := hubtest.Dial(t, h, "dave", nil)
	if ev := nextOf(t, events, wire.SpyPeerJoin); ev.From.ID != dave.Peer().ID {
		t.Errorf("join of %+v, want dave", ev.From)
	}
	dave.Close()
	if ev := nextOf(t, events, wire.SpyPeerLeave); ev.From.Name != "dave" {
		t.Errorf("leave of %+v, want dave", ev.From)
	}
}

// TestSpySeesRequestsWithLatencyAndOutcome: a spy sees each request with
// the peers it reached, and its response with the outcome, the answerer,
// the requester and the time it took.
func TestSpySeesRequestsWithLatencyAndOutcome(t *testing.T) {
	h := hubtest.Start(t, hub.Config{})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	events := spyOn(t, h, "spy", bus.SpyFilter{Channels: []string{"/calc/**"}})
	svc := hubtest.Dial(t, h, "svc", nil)
	release := make(chan struct{})
	svc.On("/calc/slow", func(e *bus.Event) {
		<-release
		e.Request.Resolve("done")
	})
	svc.On("/calc/fail", func(e *bus.Event) { e.Request.Reject("no way") })
	if err := svc.Conn().Flush(ctx); err != nil {
		t.Fatal(err)
	}
	asker := hubtest.Dial(t, h, "asker", nil)

	answered := make(chan error, 1)
	go func() {
		_, err := asker.Request(ctx, "/calc/slow", 1, 2)
		answered <- err
	}()
	req := nextOf(t, events, wire.SpyRequest)
	if req.From.Name != "asker" || !slices.Equal(names(req.To), []string{"svc/node"}) || req.Request == 0 || req.Preview != "[1, 2]" {
		t.Errorf("request seen as %+v", req)
	}
	close(release) // answered after the spy saw the request: it took time
	if err := <-answered; err != nil {
		t.Fatal(err)
	}
	resp := nextOf(t, events, wire.SpyResponse)
	if resp.Request != req.Request || resp.Status != "resolved" || resp.From.Name != "svc" || len(resp.To) != 1 || resp.To[0].Name != "asker" || resp.Preview != `"done"` {
		t.Errorf("response seen as %+v", resp)
	}
	if resp.LatencyMS <= 0 {
		t.Errorf("latency %v ms, want > 0", resp.LatencyMS)
	}

	if _, err := asker.Request(ctx, "/calc/fail"); !errors.Is(err, bus.ErrRejected) {
		t.Fatalf("/calc/fail: %v", err)
	}
	nextOf(t, events, wire.SpyRequest)
	if resp := nextOf(t, events, wire.SpyResponse); resp.Status != "rejected" || resp.From.Name != "svc" {
		t.Errorf("rejection seen as %+v", resp)
	}
	if _, err := asker.Request(ctx, "/calc/nobody"); !errors.Is(err, bus.ErrNoListener) {
		t.Fatalf("/calc/nobody: %v", err)
	}
	if req := nextOf(t, events, wire.SpyRequest); len(req.To) != 0 {
		t.Errorf("a request with no listener reached %v", names(req.To))
	}
	if resp := nextOf(t, events, wire.SpyResponse); resp.Status != "no-listener" || resp.From.Process.Type != "hub" || resp.To[0].Name != "asker" {
		t.Errorf("no-listener seen as %+v", resp)
	}
}

// TestSpyRefusesABadFilter: a malformed pattern is refused with the reason,
// and the client is no spy; a client has one spy at a time.
func TestSpyRefusesABadFilter(t *testing.T) {
	h := hubtest.Start(t, hub.Config{})
	c := hubtest.Dial(t, h, "spy", nil)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := c.Spy(ctx, bus.SpyFilter{Channels: []string{"/app/[x"}}, func(bus.SpyEvent) {})
	if err == nil || !strings.Contains(err.Error(), "/app/[x") {
		t.Fatalf("bad pattern: %v, want a refusal naming it", err)
	}
	// Refused, it left no spy behind: the client may attach one, but only one.
	stop, err := c.Spy(ctx, bus.SpyFilter{}, func(bus.SpyEvent) {})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Spy(ctx, bus.SpyFilter{}, func(bus.SpyEvent) {}); err == nil || !strings.Contains(err.Error(), "attached already") {
		t.Fatalf("a second spy on one client: %v, want a refusal", err)
	}
	stop()
	stop, err = c.Spy(ctx, bus.SpyFilter{}, func(bus.SpyEvent) {})
	if err != nil {
		t.Fatalf("a spy after the first stopped: %v", err)
	}
	stop()
}

// TestStalledSpyIsDroppedWhileTheBusDelivers: a spy that never reads is
// closed as a slow consumer, while a subscriber gets every message the
// publisher sent and the publisher's sends never fail.
func TestStalledSpyIsDroppedWhileTheBusDelivers(t *testing.T) {
	h := hubtest.Start(t, hub.Config{MaxFrameBytes: 128 << 10, MaxPendingBytes: 1 << 20, WriteTimeout: time.Minute})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	stalled := dialRaw(t, h)
	spyPeer := stalled.hello()
	stalled.write(wire.Frame{Kind: wire.KindSubscribe, Channel: wire.ChannelSpy, Peer: spyPeer})
	stalled.write(wire.Frame{Kind: wire.KindRequest, Channel: wire.ChannelSpy, Peer: spyPeer, ID: 1, Body: body(t, []any{})})
	if f := stalled.expect(wire.KindResponse); f.Code != uint16(wire.StatusResolved) {
		t.Fatalf("spy request answered with status %d", f.Code)
	}
	// From here on it reads nothing.

	const n = 30000 // events of ~300 bytes: several MiB for the spy, far over its bounds
	fast := hubtest.Dial(t, h, "fast", nil)
	got := intsOn(fast, "flood", n)
	if err := fast.Conn().Flush(ctx); err != nil {
		t.Fatal(err)
	}
	pub := hubtest.Dial(t, h, "publisher", nil)
	arg := strings.Repeat("x", 200)
	for i := 0; i < n; i++ {
		if err := pub.Send(ctx, "flood", i, arg); err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
	}
	for i := 0; i < n; i++ {
		select {
		case j := <-got:
			if j != i {
				t.Fatalf("subscriber got message %d, want %d", j, i)
			}
		case <-ctx.Done():
			t.Fatalf("subscriber got %d of %d messages", i, n)
		}
	}
	stalled.expectEnd(wire.CloseSlowConsumer)
	hubtest.Eventually(t, 10*time.Second, "the stalled spy leaving the state", func() bool {
		for _, c := range h.State().Connections {
			for _, p := range c.Peers {
				if p.ID == spyPeer {
					return false
				}
			}
		}
		return true
	})
}

// TestClosedConnectionLogNamesItsPeers: the line that logs a connection
// closing names its process and its peers, not only its number.
func TestClosedConnectionLogNamesItsPeers(t *testing.T) {
	lines := make(chan string, 100)
	h := hubtest.Start(t, hub.Config{Logger: slog.New(slog.NewTextHandler(lineWriter(lines), &slog.HandlerOptions{Level: slog.LevelDebug}))})
	r := dialRaw(t, h)
	r.hello()
	r.nc.Close()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case l := <-lines:
			if !strings.Contains(l, "connection closed") {
				continue
			}
			if !strings.Contains(l, "process=node") || !strings.Contains(l, `peers="raw#1(node pid `) {
				t.Fatalf("log line %q does not name the process and the peer", l)
			}
			return
		case <-timeout:
			t.Fatal("no connection closed line within 10 s")
		}
	}
}

// lineWriter sends each line written to it on a channel.
type lineWriter chan string

func (w lineWriter) Write(b []byte) (int, error) {
	for _, l := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
		select {
		case w <- l:
		default:
		}
	}
	return len(b), nil
}

// TestSpySeesPortMessages: a message on a port relayed between two
// connections is seen with both sides' process types and its preview.
func TestSpySeesPortMessages(t *testing.T) {
	h := hubtest.Start(t, hub.Config{})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	events := spyOn(t, h, "spy", bus.SpyFilter{})
	a := hubtest.Dial(t, h, "a", nil)
	b := hubtest.Dial(t, h, "b", nil)
	got := make(chan *bus.Port, 1)
	b.On("take", func(e *bus.Event) { got <- e.Ports[0] })
	if err := b.Conn().Flush(ctx); err != nil {
		t.Fatal(err)
	}
	p := a.NewPort()
	if err := a.PostMessage(ctx, "take", "a port", p); err != nil {
		t.Fatal(err)
	}
	select {
	case <-got:
	case <-ctx.Done():
		t.Fatal("the port did not arrive")
	}
	if err := p.Post(ctx, "over the port"); err != nil {
		t.Fatal(err)
	}
	ev := nextOf(t, events, wire.SpyPortMessage)
	if ev.From == nil || ev.From.Process.Type != "node" || len(ev.To) != 1 || ev.To[0].Process.Type != "node" || ev.Conn == 0 || ev.Preview != `"over the port"` {
		t.Errorf("port message seen as %+v", ev)
	}
}
