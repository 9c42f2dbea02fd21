package hub_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/ipcbus/ipcbus/hub"
	"github.com/ipcbus/ipcbus/hub/hubtest"
	"github.com/ipcbus/ipcbus/shared/bus"
	"github.com/ipcbus/ipcbus/shared/wire"
)

func TestLameDuckShutdownLetsRequestsFinishAndTellsClientsToReconnect(t *testing.T) {
	h := hubtest.Start(t, hub.Config{LameDuckWindow: 50 * time.Millisecond})
	closes := make(chan error, 2)
	opts := &bus.Options{NoReconnect: true, OnClose: func(err error) { closes <- err }}
	responder, err := nativeDial(h, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer responder.Close()
	requester, err := nativeDial(h, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer requester.Close()
	started, release := make(chan struct{}), make(chan struct{})
	responder.On("slow", func(e *bus.Event) {
		close(started)
		go func() {
			<-release
			e.Request.Resolve("done")
		}()
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := responder.Conn().Flush(ctx); err != nil {
		t.Fatal(err)
	}
	answer := make(chan error, 1)
	go func() {
		resp, err := requester.Request(ctx, "slow")
		var s string
		if err == nil {
			err = resp.Decode(&s)
		}
		if err == nil && s != "done" {
			err = errors.New("answer " + s)
		}
		answer <- err
	}()
	<-started

	shut := make(chan error, 1)
	go func() { shut <- h.Shutdown(ctx) }()
	path := strings.TrimPrefix(h.Addr("unix"), "unix:")
	hubtest.Eventually(t, 5*time.Second, "the hub to stop accepting", func() bool {
		c, err := net.Dial("unix", path)
		if err == nil {
			c.Close()
		}
		return err != nil
	})
	// The request is in flight: both ends stay until it settles.
	if requester.Conn().Status() != bus.StatusConnected || responder.Conn().Status() != bus.StatusConnected {
		t.Fatal("a connection with a request in flight was closed")
	}
	close(release)
	if err := <-answer; err != nil {
		t.Fatalf("request in flight during the shutdown: %v", err)
	}
	for range 2 {
		var ce *wire.CloseError
		if err := <-closes; !errors.As(err, &ce) || ce.Code != wire.CloseShutdown || !ce.Code.Reconnect() {
			t.Fatalf("closed with %v, want the shutdown code", err)
		}
	}
	if err := <-shut; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
}

func TestShutdownGivesUpOnRequestsAtItsContext(t *testing.T) {
	h := hubtest.Start(t, hub.Config{})
	responder, err := nativeDial(h, &bus.Options{NoReconnect: true})
	if err != nil {
		t.Fatal(err)
	}
	defer responder.Close()
	requester, err := nativeDial(h, &bus.Options{NoReconnect: true, RequestTimeout: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer requester.Close()
	got := make(chan struct{})
	responder.On("never", func(e *bus.Event) { close(got) })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	responder.Conn().Flush(ctx)
	answer := make(chan error, 1)
	go func() {
		_, err := requester.Request(ctx, "never")
		answer <- err
	}()
	<-got
	sctx, scancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer scancel()
	if err := h.Shutdown(sctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Shutdown: %v, want its deadline", err)
	}
	// It settles: the requester's connection closed, or its responder's
	// first (the hub then says so before it goes).
	if err := <-answer; !errors.Is(err, bus.ErrClosed) && !errors.Is(err, bus.ErrResponderGone) {
		t.Fatalf("the request cut by the shutdown: %v", err)
	}
}
