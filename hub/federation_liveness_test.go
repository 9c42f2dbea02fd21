package hub_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/ipcbus/ipcbus/hub"
	"github.com/ipcbus/ipcbus/hub/hubtest"
	"github.com/ipcbus/ipcbus/shared/bus"
)

// fedHubsBeating is fedHubs with a heartbeat of beat, timed out after
// timeout.
func fedHubsBeating(t testing.TB, srvs []*server.Server, beat, timeout time.Duration) []*hub.Hub {
	t.Helper()
	var hubs []*hub.Hub
	for i, s := range srvs {
		hubs = append(hubs, hubtest.Start(t, hub.Config{
			Name: fmt.Sprintf("hub%d", i),
			NATS: hub.NATSConfig{URLs: []string{s.ClientURL()}, HubID: uint32(i + 1), Heartbeat: beat, HeartbeatTimeout: timeout},
		}))
	}
	return hubs
}

// never makes c take requests on channel and answer none of them; each
// request is told on the returned channel, while it has room.
func never(c *bus.Client, channel string) <-chan struct{} {
	asked := make(chan struct{}, 16)
	c.On(channel, func(e *bus.Event) {
		if e.Request != nil {
			select {
			case asked <- struct{}{}:
			default:
			}
		}
	})
	return asked
}

func awaitNoRequests(t *testing.T, hubs ...*hub.Hub) {
	t.Helper()
	hubtest.Eventually(t, 10*time.Second, "no request left in flight", func() bool {
		for _, h := range hubs {
			if hub.InFlightRequests(h) != 0 {
				return false
			}
		}
		return true
	})
}

// A channel request answered on one hub, while a peer of another hub
// that was asked too never answers: once it settles, no hub holds it.
func TestFederationSettledRequestLeavesNoHubHoldingIt(t *testing.T) {
	hubs := fedHubs(t, natsCluster(t, 3))
	ctx := fedCtx(t)
	a := hubtest.Dial(t, hubs[0], "a", nil)
	slow := hubtest.Dial(t, hubs[1], "slow", nil)
	fast := hubtest.Dial(t, hubs[2], "fast", nil)
	echo(fast, "work")
	awaitResponder(t, a, bus.Target{}, "work")
	asked := never(slow, "work")
	hubtest.Eventually(t, 10*time.Second, "the slow peer asked", func() bool {
		if _, err := a.Request(ctx, "work", "probe"); err != nil {
			t.Fatal(err)
		}
		select {
		case <-asked:
			return true
		default:
			return false
		}
	})
	for i := range 50 {
		resp, err := a.Request(ctx, "work", i)
		if err != nil {
			t.Fatal(err)
		}
		var v int
		if err := resp.Decode(&v); err != nil || v != i {
			t.Fatalf("request %d answered %v (%v)", i, v, err)
		}
	}
	awaitNoRequests(t, hubs...)
}

// pending starts a request from c and returns where its outcome comes.
func pending(ctx context.Context, req func(ctx context.Context) (*bus.Response, error)) <-chan error {
	out := make(chan error, 1)
	go func() {
		_, err := req(ctx)
		out <- err
	}()
	return out
}

func awaitGone(t *testing.T, ctx context.Context, what string, out <-chan error) {
	t.Helper()
	select {
	case err := <-out:
		if !errors.Is(err, bus.ErrResponderGone) {
			t.Errorf("%s: got %v, want responder-gone", what, err)
		}
	case <-ctx.Done():
		t.Errorf("%s: still waiting after the responder's hub went", what)
	}
}

// The hub of the peers a request waits on goes away without a word (a
// crash): the others time it out by its heartbeat and fail the requests
// at once, long before their own timeouts.
func TestFederationHubCrashFailsRequestsWaitingOnIt(t *testing.T) {
	testHubGoneFailsRequests(t, func(h *hub.Hub) { h.Kill() })
}

// A hub that shuts down tells the others, which fail the requests waiting
// on its peers at once.
func TestFederationHubShutdownFailsRequestsWaitingOnIt(t *testing.T) {
	testHubGoneFailsRequests(t, func(h *hub.Hub) {
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		if err := h.Shutdown(ctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("shutdown: %v", err)
		}
	})
}

func testHubGoneFailsRequests(t *testing.T, stop func(*hub.Hub)) {
	hubs := fedHubsBeating(t, natsCluster(t, 2), 100*time.Millisecond, time.Second)
	ctx := fedCtx(t)
	a := hubtest.Dial(t, hubs[0], "a", nil)
	b := hubtest.Dial(t, hubs[1], "b", nil)
	asked := never(b, "work")
	to := bus.ToPeer(b.Peer())
	hubtest.Eventually(t, 10*time.Second, "b's interest on hub 0", func() bool {
		pctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
		defer cancel()
		_, err := a.Request(pctx, "work", "probe")
		return !errors.Is(err, bus.ErrNoListener)
	})
	for len(asked) > 0 {
		<-asked
	}
	// Requests given a minute: only the hub going can end them in the
	// test's time.
	rctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	channel := pending(rctx, func(ctx context.Context) (*bus.Response, error) { return a.Request(ctx, "work", 1) })
	direct := pending(rctx, func(ctx context.Context) (*bus.Response, error) { return a.RequestTo(ctx, to, "work", 2) })
	for range 2 {
		select {
		case <-asked:
		case <-ctx.Done():
			t.Fatal("b never asked")
		}
	}
	stop(hubs[1])
	wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
	defer wcancel()
	awaitGone(t, wctx, "the channel request", channel)
	awaitGone(t, wctx, "the direct request", direct)
	awaitNoRequests(t, hubs[0])
}
