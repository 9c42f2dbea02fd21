//go:build !js

package bus_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ipcbus/ipcbus/hub"
	"github.com/ipcbus/ipcbus/hub/hubtest"
	"github.com/ipcbus/ipcbus/shared/bus"
	"github.com/ipcbus/ipcbus/shared/wire"
)

type outcome struct {
	resp *bus.Response
	err  error
}

// asyncRequest makes a RequestRawAsync with one string argument and
// returns where its outcome comes, and its cancel.
func asyncRequest(t *testing.T, cl *bus.Client, channel, arg string) (<-chan outcome, func(error), *atomic.Int32) {
	t.Helper()
	args := wire.AppendStr(wire.AppendArrayLen(nil, 1), arg)
	ch := make(chan outcome, 2)
	calls := new(atomic.Int32)
	cancel := cl.RequestRawAsync(context.Background(), bus.Target{}, channel, args, func(r *bus.Response, err error) {
		calls.Add(1)
		ch <- outcome{r, err}
	})
	return ch, cancel, calls
}

func waitOutcome(t *testing.T, ch <-chan outcome) outcome {
	t.Helper()
	select {
	case o := <-ch:
		return o
	case <-time.After(5 * time.Second):
		t.Fatal("done was not called")
		return outcome{}
	}
}

func TestRequestRawAsync(t *testing.T) {
	h := hubtest.Start(t, hub.Config{})
	asker := hubtest.Dial(t, h, "asker", nil)
	responder := hubtest.Dial(t, h, "responder", nil)
	responder.On("echo", func(e *bus.Event) {
		var s string
		e.Args(&s)
		e.Request.Resolve("re: " + s)
	})
	responder.On("refuse", func(e *bus.Event) { e.Request.Reject("no") })
	responder.On("never", func(e *bus.Event) {})
	waitSubscribed(t, h, "echo", 1)
	waitSubscribed(t, h, "refuse", 1)
	waitSubscribed(t, h, "never", 1)

	ch, _, _ := asyncRequest(t, asker, "echo", "hi")
	o := waitOutcome(t, ch)
	var got string
	if o.err != nil || o.resp.Decode(&got) != nil || got != "re: hi" || o.resp.Sender.ID != responder.Peer().ID {
		t.Fatalf("echo: %+v %q", o, got)
	}

	ch, _, _ = asyncRequest(t, asker, "refuse", "x")
	var rej *bus.RejectedError
	if o := waitOutcome(t, ch); !errors.As(o.err, &rej) || rej.Message != "no" {
		t.Fatalf("refuse: %v, want a rejection", o.err)
	}

	ch, _, _ = asyncRequest(t, asker, "nobody", "x")
	if o := waitOutcome(t, ch); !errors.Is(o.err, bus.ErrNoListener) {
		t.Fatalf("nobody: %v, want ErrNoListener", o.err)
	}

	// cancel settles it once, with the error given, and tells the hub (the
	// responder's late answer, were it to come, is dropped).
	ch, cancel, calls := asyncRequest(t, asker, "never", "x")
	cancel(bus.ErrTimeout)
	cancel(bus.ErrClosed)
	if o := waitOutcome(t, ch); !errors.Is(o.err, bus.ErrTimeout) {
		t.Fatalf("cancelled: %v, want ErrTimeout", o.err)
	}
	if n := calls.Load(); n != 1 {
		t.Fatalf("done called %d times", n)
	}

	// Pending when the connection ends: ErrClosed.
	ch, _, _ = asyncRequest(t, asker, "never", "x")
	asker.Close()
	if o := waitOutcome(t, ch); !errors.Is(o.err, bus.ErrClosed) {
		t.Fatalf("closed: %v, want ErrClosed", o.err)
	}
	// Made on a closed client: done is called by the call itself.
	ch, _, _ = asyncRequest(t, asker, "echo", "x")
	if o := waitOutcome(t, ch); o.err == nil {
		t.Fatal("a request on a closed client succeeded")
	}
}
