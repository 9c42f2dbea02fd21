//go:build !js

package bus_test

import (
	"context"
	"errors"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/ipcbus/ipcbus/hub"
	"github.com/ipcbus/ipcbus/hub/hubtest"
	"github.com/ipcbus/ipcbus/nativeclient"
	"github.com/ipcbus/ipcbus/shared/bus"
	"github.com/ipcbus/ipcbus/shared/wire"
)

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// inbox collects the events of a listener for the test to wait on.
type inbox chan *bus.Event

func newInbox() inbox { return make(inbox, 1024) }

func (in inbox) listener(e *bus.Event) {
	e.Keep() // read by the test after the listener returned
	in <- e
}

func (in inbox) next(t *testing.T) *bus.Event {
	t.Helper()
	select {
	case e := <-in:
		return e
	case <-time.After(5 * time.Second):
		t.Fatal("no event within 5 s")
		return nil
	}
}

func (in inbox) arg(t *testing.T) string {
	t.Helper()
	var s string
	if err := in.next(t).Args(&s); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSendReachesEveryPeerAndTheSender(t *testing.T) {
	h := hubtest.Start(t, hub.Config{})
	ctx := ctxT(t)
	const n = 5
	var peers []*bus.Client
	var inboxes []inbox
	for i := 0; i < n; i++ {
		c := hubtest.Dial(t, h, "peer", nil)
		in := newInbox()
		c.On("news", in.listener)
		peers = append(peers, c)
		inboxes = append(inboxes, in)
	}
	// Subscriptions travel ahead of the send on each connection, but other
	// connections' subscriptions must have reached the hub: wait for them.
	hubtest.Eventually(t, 5*time.Second, "subscriptions", func() bool {
		for _, ch := range h.State().Channels {
			if ch.Channel == "news" && ch.Peers == n {
				return true
			}
		}
		return false
	})
	if err := peers[0].Send(ctx, "news", "extra"); err != nil {
		t.Fatal(err)
	}
	for i, in := range inboxes {
		e := in.next(t)
		var s string
		if err := e.Args(&s); err != nil || s != "extra" {
			t.Fatalf("peer %d got %q, %v", i, s, err)
		}
		if e.Channel != "news" || e.Sender.ID != peers[0].Peer().ID || e.Sender.Name != "peer" || e.Request != nil {
			t.Fatalf("peer %d: event %+v", i, e)
		}
	}
}

func TestSendToReachesOnlyTheTarget(t *testing.T) {
	h := hubtest.Start(t, hub.Config{})
	ctx := ctxT(t)
	a, b, c := hubtest.Dial(t, h, "a", nil), hubtest.Dial(t, h, "b", nil), hubtest.Dial(t, h, "c", nil)
	inB, inC := newInbox(), newInbox()
	b.On("direct", inB.listener)
	c.On("direct", inC.listener)
	c.On("barrier", inC.listener)
	waitSubscribed(t, h, "direct", 2)
	waitSubscribed(t, h, "barrier", 1)
	if err := a.SendTo(ctx, bus.ToPeer(b.Peer()), "direct", "for b"); err != nil {
		t.Fatal(err)
	}
	if got := inB.arg(t); got != "for b" {
		t.Fatalf("b got %q", got)
	}
	if e := inB.next; e == nil {
		t.Fatal()
	}
	// c must not have got it: everything a sends c reaches in order, so the
	// barrier arriving first proves it.
	a.Send(ctx, "barrier", "barrier")
	if got := inC.arg(t); got != "barrier" {
		t.Fatalf("c got %q before the barrier", got)
	}
	// A process target reaches every peer of that process.
	if err := a.SendTo(ctx, bus.ToProcess(bus.Process{PID: c.Peer().Process.PID}), "direct", "for the process"); err != nil {
		t.Fatal(err)
	}
	if inB.arg(t) != "for the process" || inC.arg(t) != "for the process" {
		t.Fatal("process target missed a peer")
	}
}

func waitSubscribed(t *testing.T, h *hub.Hub, channel string, peers int) {
	t.Helper()
	hubtest.Eventually(t, 5*time.Second, channel+" subscriptions", func() bool {
		for _, ch := range h.State().Channels {
			if ch.Channel == channel {
				return ch.Peers == peers
			}
		}
		return peers == 0
	})
}

// TestEmitterCasesEndToEnd plays the shared EventEmitter table through a
// connected client: each emit is a send to itself through the hub.
func TestEmitterCasesEndToEnd(t *testing.T) {
	h := hubtest.Start(t, hub.Config{})
	c := hubtest.Dial(t, h, "emitter", nil)
	ctx := ctxT(t)
	barrier := make(chan struct{})
	c.On("barrier", func(*bus.Event) { barrier <- struct{}{} })
	for _, tc := range bus.LoadEmitterCases(t) {
		t.Run(tc.Name, func(t *testing.T) {
			ch := "emitter/" + tc.Name
			add := func(label string, fn bus.Listener, opts ...bus.ListenOption) {
				c.AddListener(ch, fn, append(opts, bus.WithKey(label))...)
			}
			off := func(label string) {
				infos := c.Listeners(ch)
				for i := len(infos) - 1; i >= 0; i-- {
					if infos[i].Key == label {
						c.Off(ch, infos[i].ID)
						return
					}
				}
			}
			emit := func() {
				if err := c.Send(ctx, ch); err != nil {
					t.Fatal(err)
				}
				if err := c.Send(ctx, "barrier"); err != nil {
					t.Fatal(err)
				}
				<-barrier
			}
			got := bus.RunEmitterCase(t, tc, add, off, func() { c.RemoveAllListeners(ch) }, func() int { return c.ListenerCount(ch) }, emit)
			if !reflect.DeepEqual(got, tc.Emits) {
				t.Errorf("calls per emit = %v, want %v", got, tc.Emits)
			}
		})
	}
}

func TestListenersAddedBeforeConnectAndConnectTwice(t *testing.T) {
	h := hubtest.Start(t, hub.Config{})
	ctx := ctxT(t)
	c, err := nativeclient.New(hubtest.Addr(h), &bus.Options{Name: "early"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	in := newInbox()
	c.On("early", in.listener)
	if err := c.Send(ctx, "early", 1); !errors.Is(err, bus.ErrNotConnected) {
		t.Fatalf("send before connect: %v, want ErrNotConnected", err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 3)
	for i := 0; i < 3; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); errs <- c.Connect(ctx) }()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	st := h.State()
	if len(st.Connections) != 1 || len(st.Connections[0].Peers) != 1 {
		t.Fatalf("three Connects made %d connections: %+v", len(st.Connections), st)
	}
	if got := st.Connections[0].Peers[0].Subscriptions; !reflect.DeepEqual(got, []string{"early"}) {
		t.Fatalf("subscriptions after connect = %v", got)
	}
	other := hubtest.Dial(t, h, "other", nil)
	if err := other.Send(ctx, "early", "hi"); err != nil {
		t.Fatal(err)
	}
	if got := in.arg(t); got != "hi" {
		t.Fatalf("got %q", got)
	}
}

func TestPanickingListenerDoesNotKillTheClient(t *testing.T) {
	h := hubtest.Start(t, hub.Config{})
	ctx := ctxT(t)
	errs := make(chan error, 4)
	c := hubtest.Dial(t, h, "p", &bus.Options{OnError: func(err error) { errs <- err }})
	in := newInbox()
	c.On("boom", func(*bus.Event) { panic("listener bug") })
	c.On("boom", in.listener)
	if err := c.Send(ctx, "boom", "x"); err != nil {
		t.Fatal(err)
	}
	if in.arg(t) != "x" {
		t.Fatal("the next listener did not run")
	}
	var pe *bus.PanicError
	if err := <-errs; !errors.As(err, &pe) || pe.Value != "listener bug" || pe.Channel != "boom" {
		t.Fatalf("OnError got %v", err)
	}
	if err := c.Send(ctx, "boom", "y"); err != nil || in.arg(t) != "y" {
		t.Fatalf("client unusable after a panic: %v", err)
	}
}

func TestFrameTooLargeFailsAtTheSenderOnly(t *testing.T) {
	h := hubtest.Start(t, hub.Config{MaxFrameBytes: 64 << 10})
	ctx := ctxT(t)
	c := hubtest.Dial(t, h, "big", nil)
	in := newInbox()
	c.On("big", in.listener)
	err := c.Send(ctx, "big", make([]byte, 64<<10))
	if !errors.Is(err, bus.ErrFrameTooLarge) {
		t.Fatalf("oversized send: %v, want ErrFrameTooLarge", err)
	}
	if err := c.Send(ctx, "big", "small"); err != nil {
		t.Fatalf("connection closed by an oversized send: %v", err)
	}
	if in.arg(t) != "small" {
		t.Fatal("lost the small message")
	}
}

func TestShutdownTellsClientsToReconnect(t *testing.T) {
	h := hubtest.Start(t, hub.Config{})
	closed := make(chan error, 1)
	c := hubtest.Dial(t, h, "c", &bus.Options{NoReconnect: true, OnClose: func(err error) { closed <- err }})
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := h.Shutdown(sctx); err != nil {
		t.Fatal(err)
	}
	err := <-closed
	var ce *wire.CloseError
	if !errors.As(err, &ce) || ce.Code != wire.CloseShutdown || !ce.Code.Reconnect() {
		t.Fatalf("close reason %v, want a reconnectable shutdown", err)
	}
	if !errors.Is(c.Conn().Err(), bus.ErrClosed) {
		t.Fatalf("Err() = %v", c.Conn().Err())
	}
	if err := c.Send(context.Background(), "x"); !errors.Is(err, bus.ErrClosed) {
		t.Fatalf("send after shutdown: %v", err)
	}
}
