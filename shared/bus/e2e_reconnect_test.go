//go:build !js

package bus_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ipcbus/ipcbus/hub"
	"github.com/ipcbus/ipcbus/hub/hubtest"
	"github.com/ipcbus/ipcbus/nativeclient"
	"github.com/ipcbus/ipcbus/shared/bus"
	"github.com/ipcbus/ipcbus/shared/wire"
)

// statuses records a connection's status changes for a test to wait on.
type statuses struct {
	mu      sync.Mutex
	changes []bus.StatusChange
	wake    chan struct{}
}

func newStatuses() *statuses { return &statuses{wake: make(chan struct{}, 1)} }

func (s *statuses) record(ch bus.StatusChange) {
	s.mu.Lock()
	s.changes = append(s.changes, ch)
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// waitFor waits for the n-th change (from 1) to st and returns it.
func (s *statuses) waitFor(t *testing.T, st bus.Status, n int) bus.StatusChange {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		s.mu.Lock()
		seen := 0
		for _, ch := range s.changes {
			if ch.Status == st {
				if seen++; seen == n {
					s.mu.Unlock()
					return ch
				}
			}
		}
		s.mu.Unlock()
		select {
		case <-s.wake:
		case <-deadline:
			t.Fatalf("no %d-th %v status within 10 s", n, st)
		}
	}
}

func (s *statuses) count(st bus.Status) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, ch := range s.changes {
		if ch.Status == st {
			n++
		}
	}
	return n
}

// fastReconnect are options for test clients that come back quickly.
func fastReconnect(name string, st *statuses) *bus.Options {
	return &bus.Options{Name: name, OnStatus: st.record, ReconnectWait: 10 * time.Millisecond, MaxReconnectWait: 100 * time.Millisecond, ReconnectJitter: 10 * time.Millisecond}
}

// redialAfter returns a Redial for addr that waits for gate first, so
// that what a client buffered during an outage has someone to go to.
func redialAfter(addr string, gate <-chan struct{}) bus.Dialer {
	dial, _ := nativeclient.Dialer(addr)
	return func(ctx context.Context) (bus.Transport, error) {
		select {
		case <-gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		return dial(ctx)
	}
}

func dialTo(t *testing.T, addr string, opts *bus.Options) *bus.Client {
	t.Helper()
	c, err := nativeclient.Dial(ctxT(t), addr, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestClientsComeBackAfterTheHubRestarts(t *testing.T) {
	for _, how := range []string{"shutdown", "kill"} {
		t.Run(how, func(t *testing.T) {
			r := hubtest.StartRestartable(t, hub.Config{LameDuckWindow: 20 * time.Millisecond})
			ctx := ctxT(t)
			lst, sst := newStatuses(), newStatuses()
			listener := dialTo(t, r.Addr(), fastReconnect("listener", lst))
			sender := dialTo(t, r.Addr(), fastReconnect("sender", sst))
			in := newInbox()
			listener.On("news", in.listener)
			svc, err := bus.NewService(listener, "echo", nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			svc.RegisterFunc("echo", func(s string) string { return "echo " + s })
			if err := svc.Start(ctx); err != nil {
				t.Fatal(err)
			}
			proxy := bus.NewServiceProxy(sender, "echo", nil)
			if err := proxy.Connect(ctx); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { proxy.Close() })
			oldID := listener.Peer().ID

			switch how {
			case "shutdown":
				sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
				r.Stop(sctx)
				cancel()
				var ce *wire.CloseError
				if ch := lst.waitFor(t, bus.StatusDisconnected, 1); !errors.As(ch.Err, &ce) || ce.Code != wire.CloseShutdown {
					t.Fatalf("disconnected with %v, want the shutdown close code", ch.Err)
				}
			case "kill":
				r.Kill()
				lst.waitFor(t, bus.StatusDisconnected, 1)
			}
			sst.waitFor(t, bus.StatusDisconnected, 1)
			if st := sender.Status(); st != bus.StatusReconnecting {
				t.Fatalf("sender status %v during the outage", st)
			}
			r.Start()
			lst.waitFor(t, bus.StatusConnected, 2)
			back := sst.waitFor(t, bus.StatusConnected, 2)
			if back.Attempt < 1 {
				t.Fatalf("reconnected on attempt %d", back.Attempt)
			}

			// Connected again: nothing sent from now on is lost.
			for i := range 20 {
				if err := sender.Send(ctx, "news", fmt.Sprint(i)); err != nil {
					t.Fatal(err)
				}
			}
			for i := range 20 {
				if got := in.arg(t); got != fmt.Sprint(i) {
					t.Fatalf("message %d is %q", i, got)
				}
			}
			if listener.Peer().ID == 0 || listener.Status() != bus.StatusConnected {
				t.Fatalf("listener %v, status %v", listener.Peer(), listener.Status())
			}
			_ = oldID // a new hub may give the same id again: ids are the hub's

			// The service is announced again and the proxy follows it.
			hubtest.Eventually(t, 5*time.Second, "the proxy to see the service again", proxy.IsStarted)
			resp, err := proxy.Call(ctx, "echo", "hi")
			if err != nil {
				t.Fatal(err)
			}
			var got string
			if err := resp.Decode(&got); err != nil || got != "echo hi" {
				t.Fatalf("call after the restart: %q, %v", got, err)
			}
			if ok, err := proxy.CheckAvailability(ctx); err != nil || !ok {
				t.Fatalf("available after the restart: %v, %v", ok, err)
			}
			if _, peer := proxy.LastStatus(); peer.ID != listener.Peer().ID {
				t.Fatalf("proxy follows peer %d, the service is peer %d", peer.ID, listener.Peer().ID)
			}
			st := r.Hub().State()
			if n := len(st.Connections); n != 2 {
				t.Fatalf("the new hub has %d connections, want 2", n)
			}
		})
	}
}

func TestPendingRequestsFailWithErrDisconnected(t *testing.T) {
	r := hubtest.StartRestartable(t, hub.Config{})
	ctx := ctxT(t)
	lst, sst := newStatuses(), newStatuses()
	responder := dialTo(t, r.Addr(), fastReconnect("responder", lst))
	responderBack := make(chan struct{})
	opts := fastReconnect("requester", sst)
	opts.Redial = redialAfter(r.Addr(), responderBack)
	requester := dialTo(t, r.Addr(), opts)
	got := make(chan struct{}, 1)
	responder.On("slow", func(e *bus.Event) { got <- struct{}{} }) // never answers
	responder.On("quick", func(e *bus.Event) { e.Request.Resolve("ok") })
	if err := responder.Conn().Flush(ctx); err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() {
		_, err := requester.Request(ctx, "slow")
		errc <- err
	}()
	<-got
	r.Kill()
	err := <-errc
	if !errors.Is(err, bus.ErrDisconnected) {
		t.Fatalf("pending request: %v, want ErrDisconnected", err)
	}
	// Retryable: the same request made now waits for the reconnect.
	again := make(chan error, 1)
	go func() {
		_, err := requester.Request(ctx, "quick")
		again <- err
	}()
	r.Start()
	lst.waitFor(t, bus.StatusConnected, 2)
	close(responderBack)
	if err := <-again; err != nil {
		t.Fatalf("request made during the outage: %v", err)
	}
}

func TestOutageBuffersSendsInOrderUpToTheBound(t *testing.T) {
	r := hubtest.StartRestartable(t, hub.Config{})
	ctx := ctxT(t)
	lst, sst := newStatuses(), newStatuses()
	listener := dialTo(t, r.Addr(), fastReconnect("listener", lst))
	seqs := make(chan int, 1<<16)
	listener.On("seq", func(e *bus.Event) {
		var i int
		e.Args(&i)
		seqs <- i
	})
	if err := listener.Conn().Flush(ctx); err != nil {
		t.Fatal(err)
	}
	// The sender redials only once the listener is back, so that what it
	// buffered has someone to go to.
	listenerBack := make(chan struct{})
	const bound = 16 << 10
	opts := fastReconnect("sender", sst)
	opts.ReconnectBufBytes = bound
	opts.Redial = redialAfter(r.Addr(), listenerBack)
	sender := dialTo(t, r.Addr(), opts)
	pad := make([]byte, 512)

	var (
		accepted  []int // sends that returned nil
		firstDown = -1  // the first send made once the sender saw the outage
		failed    int
		stop      atomic.Bool
		senderErr error
		done      = make(chan struct{})
	)
	go func() {
		defer close(done)
		for i := 0; !stop.Load(); i++ {
			down := sender.Conn().Status() != bus.StatusConnected
			err := sender.Send(ctx, "seq", i, pad)
			switch {
			case err == nil:
				accepted = append(accepted, i)
				if down && firstDown < 0 {
					firstDown = i
				}
			case errors.Is(err, bus.ErrReconnectBufferFull):
				failed++
			default:
				senderErr = err
				return
			}
			time.Sleep(time.Millisecond) // a sender sending throughout, at its pace
		}
	}()
	hubtest.Eventually(t, 5*time.Second, "the first messages", func() bool { return len(seqs) > 10 })
	r.Kill()
	time.Sleep(time.Second) // the outage
	r.Start()
	lst.waitFor(t, bus.StatusConnected, 2)
	close(listenerBack)
	sst.waitFor(t, bus.StatusConnected, 2)
	// A few more once connected, then stop.
	n := len(seqs)
	hubtest.Eventually(t, 5*time.Second, "messages after the reconnect", func() bool { return len(seqs) > n+10 })
	stop.Store(true)
	<-done
	if senderErr != nil {
		t.Fatalf("send failed with %v", senderErr)
	}
	if firstDown < 0 || failed == 0 {
		t.Fatalf("the outage was not seen (first send while down %d, %d failed)", firstDown, failed)
	}
	// Every accepted send from firstDown on arrives once, in order; those
	// before at most once, in order (a kill may cut what was in flight).
	last := accepted[len(accepted)-1]
	var got []int
	for len(got) == 0 || got[len(got)-1] != last {
		select {
		case i := <-seqs:
			got = append(got, i)
		case <-time.After(5 * time.Second):
			t.Fatalf("the last accepted message %d never came; got up to %v", last, got[len(got)-1])
		}
	}
	for k := 1; k < len(got); k++ {
		if got[k] <= got[k-1] {
			t.Fatalf("message %d after %d: duplicated or out of order", got[k], got[k-1])
		}
	}
	delivered := make(map[int]bool, len(got))
	for _, i := range got {
		delivered[i] = true
	}
	missing := 0
	for _, i := range accepted {
		if i >= firstDown && !delivered[i] {
			missing++
		}
	}
	if missing > 0 {
		t.Fatalf("%d messages accepted during the outage were lost", missing)
	}
	buffered := 0
	for _, i := range accepted {
		if i >= firstDown {
			buffered++
		}
	}
	t.Logf("%d sent; %d accepted from the first send during the outage (#%d) on, all delivered; %d refused past the %d-byte bound", len(accepted)+failed, buffered, firstDown, failed, bound)
}

// TestTerminalCloseCodeDoesNotReconnect: a hub back with another token
// refuses the client's hello (on TCP, where tokens are checked), and the
// client stops there.
func TestTerminalCloseCodeDoesNotReconnect(t *testing.T) {
	r := hubtest.StartRestartableTCP(t, hub.Config{Token: "first"})
	st := newStatuses()
	var dials atomic.Int32
	dial, _ := nativeclient.Dialer(r.Addr())
	opts := fastReconnect("c", st)
	opts.Token = "first"
	opts.Redial = func(ctx context.Context) (bus.Transport, error) {
		dials.Add(1)
		return dial(ctx)
	}
	closed := make(chan error, 1)
	opts.OnClose = func(err error) { closed <- err }
	c := dialTo(t, r.Addr(), opts)
	r.Kill()
	r.StartWith(hub.Config{Token: "second"}) // the same port, another token
	var err error
	select {
	case err = <-closed:
	case <-time.After(10 * time.Second):
		t.Fatalf("not closed 10 s after the hub came back with another token (status %v, %d redials)", c.Conn().Status(), dials.Load())
	}
	var ce *wire.CloseError
	if !errors.As(err, &ce) || ce.Code != wire.CloseUnauthorized {
		t.Fatalf("closed with %v, want unauthorized", err)
	}
	if n := dials.Load(); n != 1 {
		t.Fatalf("%d redials, want 1", n)
	}
	if c.Conn().Status() != bus.StatusClosed {
		t.Fatalf("status %v", c.Conn().Status())
	}
	var ce2 *wire.CloseError
	if ch := st.waitFor(t, bus.StatusClosed, 1); !errors.As(ch.Err, &ce2) || ce2.Code != wire.CloseUnauthorized {
		t.Fatalf("OnStatus closed with %v", ch.Err)
	}
}

func TestBufferedRequestPastItsDeadlineIsNeverSent(t *testing.T) {
	r := hubtest.StartRestartable(t, hub.Config{})
	ctx := ctxT(t)
	lst, sst := newStatuses(), newStatuses()
	responder := dialTo(t, r.Addr(), fastReconnect("responder", lst))
	var asked atomic.Int32
	responder.On("q", func(e *bus.Event) {
		asked.Add(1)
		e.Request.Resolve("answer")
	})
	if err := responder.Conn().Flush(ctx); err != nil {
		t.Fatal(err)
	}
	responderBack := make(chan struct{})
	opts := fastReconnect("requester", sst)
	opts.Redial = redialAfter(r.Addr(), responderBack)
	requester := dialTo(t, r.Addr(), opts)
	r.Kill()
	sst.waitFor(t, bus.StatusDisconnected, 1)
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	_, err := requester.Request(short, "q", "too late")
	cancel()
	if !errors.Is(err, bus.ErrTimeout) {
		t.Fatalf("buffered request past its deadline: %v, want ErrTimeout", err)
	}
	r.Start()
	lst.waitFor(t, bus.StatusConnected, 2)
	close(responderBack)
	sst.waitFor(t, bus.StatusConnected, 2)
	resp, err := requester.Request(ctx, "q", "in time")
	if err != nil {
		t.Fatal(err)
	}
	var s string
	if resp.Decode(&s); s != "answer" {
		t.Fatalf("answer %q", s)
	}
	if n := asked.Load(); n != 1 {
		t.Fatalf("the responder was asked %d times, want once (the expired request must not be sent)", n)
	}
}

func TestConnWithoutRedialEndsWithTheHub(t *testing.T) {
	h := hubtest.Start(t, hub.Config{})
	dial, _ := nativeclient.Dialer(hubtest.Addr(h))
	c := bus.NewClient(dial, &bus.Options{Name: "fixed"}) // no Redial
	if err := c.Connect(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	h.Kill()
	<-c.Conn().Done()
	if !errors.Is(c.Conn().Err(), bus.ErrClosed) || c.Conn().Status() != bus.StatusClosed {
		t.Fatalf("status %v, err %v", c.Conn().Status(), c.Conn().Err())
	}
}
