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

// TestSlowConsumerIsClosedWhileOthersKeepReceiving floods a channel that a
// connection which never reads has subscribed to: the hub closes it as a
// slow consumer, the fast subscriber gets every message, and the
// publisher's sends never fail.
func TestSlowConsumerIsClosedWhileOthersKeepReceiving(t *testing.T) {
	const frame = 64 << 10
	h := hubtest.Start(t, hub.Config{MaxFrameBytes: 128 << 10, MaxPendingBytes: 1 << 20})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	slow := dialRaw(t, h)
	slowPeer := slow.hello()
	slow.write(wire.Frame{Kind: wire.KindSubscribe, Channel: "flood", Peer: slowPeer})

	fast := hubtest.Dial(t, h, "fast", nil)
	const n = 400 // 25 MiB: far more than the slow side's queue and socket buffers
	got := make(chan int, n)
	fast.On("flood", func(e *bus.Event) {
		var i int
		e.Args(&i)
		got <- i
	})
	pub := hubtest.Dial(t, h, "publisher", nil)
	hubtest.Eventually(t, 5*time.Second, "subscriptions", func() bool {
		for _, c := range h.State().Channels {
			if c.Channel == "flood" {
				return c.Peers == 2
			}
		}
		return false
	})
	payload := make([]byte, frame-1024)
	for i := 0; i < n; i++ {
		if err := pub.Send(ctx, "flood", i, payload); err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
	}
	for i := 0; i < n; i++ {
		select {
		case j := <-got:
			if j != i {
				t.Fatalf("fast subscriber got message %d, want %d", j, i)
			}
		case <-ctx.Done():
			t.Fatalf("fast subscriber got %d of %d messages", i, n)
		}
	}
	// The slow connection was closed: reading what it was sent ends with
	// the slow-consumer close frame.
	slow.expectClose(wire.CloseSlowConsumer)
	hubtest.Eventually(t, 5*time.Second, "slow connection removal", func() bool {
		return len(h.State().Connections) == 2
	})
}
