//go:build !js

package bus_test

import (
	"context"
	"errors"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ipcbus/ipcbus/hub"
	"github.com/ipcbus/ipcbus/hub/hubtest"
	"github.com/ipcbus/ipcbus/shared/bus"
	"github.com/ipcbus/ipcbus/shared/wire"
)

func TestRequestFirstResponderWins(t *testing.T) {
	h := hubtest.Start(t, hub.Config{})
	ctx := ctxT(t)
	asker := hubtest.Dial(t, h, "asker", nil)
	fast := hubtest.Dial(t, h, "fast", nil)
	slow := hubtest.Dial(t, h, "slow", nil)
	answered := make(chan bool, 1)
	release := make(chan struct{})
	fast.On("q", func(e *bus.Event) { e.Request.Resolve("fast") })
	var slowCalls atomic.Int32
	slow.On("q", func(e *bus.Event) {
		if slowCalls.Add(1) > 1 {
			return // the last request's: the test may end (and close) before it could answer
		}
		<-release // answers only after the fast one won
		ok, err := e.Request.Resolve("slow")
		if err != nil {
			t.Error(err)
		}
		answered <- ok
	})
	waitSubscribed(t, h, "q", 2)
	resp, err := asker.Request(ctx, "q", "who?")
	if err != nil {
		t.Fatal(err)
	}
	var got string
	if err := resp.Decode(&got); err != nil || got != "fast" || resp.Sender.ID != fast.Peer().ID {
		t.Fatalf("response %q from %+v, %v", got, resp.Sender, err)
	}
	close(release)
	if ok := <-answered; !ok {
		t.Fatal("the slow peer's own Resolve should report it answered locally (the hub drops it)")
	}
	// The late answer was dropped by the hub: the next request still works.
	if _, err := asker.Request(ctx, "q"); err != nil {
		t.Fatal(err)
	}
}

func TestRequestRejectIsTyped(t *testing.T) {
	h := hubtest.Start(t, hub.Config{})
	ctx := ctxT(t)
	asker := hubtest.Dial(t, h, "asker", nil)
	refuser := hubtest.Dial(t, h, "refuser", nil)
	refuser.On("q", func(e *bus.Event) {
		e.Request.Reject("not today")
		if ok, _ := e.Request.Resolve("too late"); ok {
			t.Error("Resolve after Reject answered")
		}
	})
	waitSubscribed(t, h, "q", 1)
	_, err := asker.Request(ctx, "q")
	var rej *bus.RejectedError
	if !errors.As(err, &rej) || !errors.Is(err, bus.ErrRejected) {
		t.Fatalf("got %v, want a *RejectedError", err)
	}
	if rej.Message != "not today" || rej.Peer.ID != refuser.Peer().ID || rej.Channel != "q" {
		t.Fatalf("rejection %+v", rej)
	}
}

func TestRequestWithoutListenerFailsAtOnce(t *testing.T) {
	h := hubtest.Start(t, hub.Config{})
	asker := hubtest.Dial(t, h, "asker", nil)
	// Forever would be the wait if the hub did not answer.
	_, err := asker.Request(context.Background(), "nobody-listens")
	if !errors.Is(err, bus.ErrNoListener) {
		t.Fatalf("got %v, want ErrNoListener", err)
	}
}

func TestRequestDefaultTimeout(t *testing.T) {
	h := hubtest.Start(t, hub.Config{})
	asker := hubtest.Dial(t, h, "asker", nil)
	mute := hubtest.Dial(t, h, "mute", nil)
	mute.On("q", func(*bus.Event) {})
	waitSubscribed(t, h, "q", 1)
	start := time.Now()
	_, err := asker.Request(context.Background(), "q")
	if !errors.Is(err, bus.ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want ErrTimeout", err)
	}
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("%v is not a net.Error timeout", err)
	}
	if d := time.Since(start); d < wire.DefaultRequestTimeout {
		t.Fatalf("timed out after %v, before the 2000 ms default", d)
	}
	// A ctx deadline wins over the default.
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := asker.Request(ctx, "q"); !errors.Is(err, bus.ErrTimeout) {
		t.Fatalf("ctx deadline: %v", err)
	}
	// A configured negative default waits until ctx says otherwise.
	patient := hubtest.Dial(t, h, "patient", &bus.Options{RequestTimeout: -1})
	cctx, ccancel := context.WithCancel(context.Background())
	const wait = wire.DefaultRequestTimeout + 300*time.Millisecond
	time.AfterFunc(wait, ccancel)
	start = time.Now()
	if _, err := patient.Request(cctx, "q"); !errors.Is(err, context.Canceled) || time.Since(start) < wait {
		t.Fatalf("negative timeout: %v after %v", err, time.Since(start))
	}
}

func TestResponderDisconnectFailsPendingRequest(t *testing.T) {
	h := hubtest.Start(t, hub.Config{})
	asker := hubtest.Dial(t, h, "asker", nil)
	responder := hubtest.Dial(t, h, "responder", nil)
	got := make(chan struct{})
	responder.On("q", func(*bus.Event) { close(got) })
	waitSubscribed(t, h, "q", 1)
	errc := make(chan error, 1)
	go func() {
		_, err := asker.Request(context.Background(), "q")
		errc <- err
	}()
	<-got
	responder.Close()
	select {
	case err := <-errc:
		if !errors.Is(err, bus.ErrResponderGone) {
			t.Fatalf("got %v, want ErrResponderGone", err)
		}
	case <-time.After(wire.DefaultRequestTimeout / 2):
		t.Fatal("the request waited for its timeout instead of failing when the responder left")
	}
}

func TestCloseFailsPendingRequests(t *testing.T) {
	h := hubtest.Start(t, hub.Config{})
	asker := hubtest.Dial(t, h, "asker", nil)
	mute := hubtest.Dial(t, h, "mute", nil)
	got := make(chan struct{}, 3)
	mute.On("q", func(*bus.Event) { got <- struct{}{} })
	waitSubscribed(t, h, "q", 1)
	errc := make(chan error, 3)
	for i := 0; i < 3; i++ {
		go func() {
			_, err := asker.Request(context.Background(), "q")
			errc <- err
		}()
	}
	for i := 0; i < 3; i++ {
		<-got
	}
	asker.Close()
	for i := 0; i < 3; i++ {
		if err := <-errc; !errors.Is(err, bus.ErrClosed) {
			t.Fatalf("pending request after Close: %v", err)
		}
	}
	if _, err := asker.Request(context.Background(), "q"); !errors.Is(err, bus.ErrClosed) {
		t.Fatalf("request after Close: %v", err)
	}
	if err := asker.Close(); !errors.Is(err, bus.ErrClosed) {
		t.Fatalf("second Close: %v", err)
	}
}

func TestRequestToAndOwnListener(t *testing.T) {
	h := hubtest.Start(t, hub.Config{})
	ctx := ctxT(t)
	a := hubtest.Dial(t, h, "a", nil)
	b := hubtest.Dial(t, h, "b", nil)
	a.On("who", func(e *bus.Event) { e.Request.Resolve("a") })
	b.On("who", func(e *bus.Event) { e.Request.Resolve("b") })
	waitSubscribed(t, h, "who", 2)
	for _, target := range []*bus.Client{a, b} {
		resp, err := a.RequestTo(ctx, bus.ToPeer(target.Peer()), "who")
		if err != nil {
			t.Fatal(err)
		}
		var got string
		resp.Decode(&got)
		if got != target.Peer().Name {
			t.Fatalf("RequestTo %s answered by %s", target.Peer().Name, got)
		}
	}
	if _, err := a.RequestTo(ctx, bus.Target{Peer: 999999}, "who"); !errors.Is(err, bus.ErrNoListener) {
		t.Fatalf("RequestTo an unknown peer: %v", err)
	}
}

func TestPeersSharingAConnection(t *testing.T) {
	h := hubtest.Start(t, hub.Config{})
	ctx := ctxT(t)
	first := hubtest.Dial(t, h, "page", nil)
	frame := first.Conn().NewClient("frame", bus.Process{Type: wire.ProcessRendererFrame, PID: 1, FrameID: 2})
	if err := frame.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	in := newInbox()
	frame.On("to-frame", in.listener)
	frame.On("ask-frame", func(e *bus.Event) { e.Request.Resolve("from the frame") })
	if err := frame.Conn().Flush(ctx); err != nil {
		t.Fatal(err)
	}
	st := h.State()
	if len(st.Connections) != 1 || len(st.Connections[0].Peers) != 2 {
		t.Fatalf("want one connection with two peers: %+v", st)
	}
	if p := st.Connections[0].Peers[1]; p.Process.Type != wire.ProcessRendererFrame || p.Process.FrameID != 2 {
		t.Fatalf("frame peer %+v", p)
	}
	other := hubtest.Dial(t, h, "other", nil)
	other.Send(ctx, "to-frame", "hello frame")
	if e := in.next(t); e.Sender.Name != "other" {
		t.Fatalf("sender %+v", e.Sender)
	}
	resp, err := first.Request(ctx, "ask-frame")
	if err != nil {
		t.Fatal(err)
	}
	if resp.Sender.ID != frame.Peer().ID {
		t.Fatalf("answered by %+v", resp.Sender)
	}
	// Removing the frame peer removes it from the hub, not its connection.
	frame.Close()
	hubtest.Eventually(t, 5*time.Second, "frame peer removal", func() bool {
		st := h.State()
		return len(st.Connections) == 2 && len(st.Connections[0].Peers) == 1
	})
	if _, err := first.Request(ctx, "ask-frame"); !errors.Is(err, bus.ErrNoListener) {
		t.Fatalf("request to the removed frame: %v", err)
	}
}
