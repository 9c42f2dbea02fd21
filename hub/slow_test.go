package hub_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
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
	got := intsOn(fast, "flood", n)
	pub := hubtest.Dial(t, h, "publisher", nil)
	hubtest.Eventually(t, 5*time.Second, "subscriptions", func() bool { return channelPeers(h, "flood") == 2 })
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
	// The slow connection was closed: reading what it was sent ends, with
	// the slow-consumer close frame if the hub could still write it (it
	// gives it a second: see TestSlowConsumerLeavesAtOnceAndGetsTheReason).
	slow.expectEnd(wire.CloseSlowConsumer)
	hubtest.Eventually(t, 5*time.Second, "slow connection removal", func() bool {
		return len(h.State().Connections) == 2
	})
}

// slowSetup starts a hub whose write deadline is far away, a raw
// connection subscribed to "flood" that does not read, a fast subscriber
// and a publisher, and floods the channel until the hub cuts the raw one.
// It returns the raw connection, the publisher and the fast subscriber's
// messages.
func slowSetup(t *testing.T, cfg hub.Config) (*hub.Hub, *raw, *bus.Client, chan int) {
	t.Helper()
	cfg.MaxFrameBytes, cfg.MaxPendingBytes = 128<<10, 1<<20
	cfg.WriteTimeout = time.Minute // the cut must not wait for it
	h := hubtest.Start(t, cfg)
	slow := dialRaw(t, h)
	slowPeer := slow.hello()
	slow.write(wire.Frame{Kind: wire.KindSubscribe, Channel: "flood", Peer: slowPeer})
	fast := hubtest.Dial(t, h, "fast", nil)
	got := intsOn(fast, "flood", 1000)
	pub := hubtest.Dial(t, h, "publisher", nil)
	hubtest.Eventually(t, 5*time.Second, "subscriptions", func() bool { return floodPeers(t, pub) == 2 })
	return h, slow, pub, got
}

// floodPeers returns the number of peers subscribed to "flood" in the
// state the hub answers on its query channel.
func floodPeers(t *testing.T, c *bus.Client) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	resp, err := c.Request(ctx, wire.ChannelQueryState)
	if err != nil {
		t.Fatalf("queryState: %v", err)
	}
	var s struct {
		Channels []struct {
			Channel string `msgpack:"channel"`
			Peers   int    `msgpack:"peers"`
		} `msgpack:"channels"`
	}
	if err := resp.Decode(&s); err != nil {
		t.Fatalf("queryState: %v", err)
	}
	for _, c := range s.Channels {
		if c.Channel == "flood" {
			return c.Peers
		}
	}
	return 0
}

// flood publishes n 63 KiB messages on "flood".
func flood(pub *bus.Client, from, n int) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	payload := make([]byte, 63<<10)
	for i := from; i < from+n; i++ {
		if err := pub.Send(ctx, "flood", i, payload); err != nil {
			return fmt.Errorf("send %d: %w", i, err)
		}
	}
	return nil
}

func expectMessages(t *testing.T, got chan int, from, n int) {
	t.Helper()
	timeout := time.After(30 * time.Second)
	for i := from; i < from+n; i++ {
		select {
		case j := <-got:
			if j != i {
				t.Fatalf("fast subscriber got message %d, want %d", j, i)
			}
		case <-timeout:
			t.Fatalf("fast subscriber got %d of %d messages", i-from, n)
		}
	}
}

// TestSlowConsumerLeavesAtOnceAndGetsTheReason: a consumer cut for slow
// consumption leaves the hub's state while its close frame is still on its
// way (not at the write deadline, a minute here), the others keep
// receiving, and once it reads it gets the reason and the socket closes.
func TestSlowConsumerLeavesAtOnceAndGetsTheReason(t *testing.T) {
	h, slow, pub, got := slowSetup(t, hub.Config{})
	asker := hubtest.Dial(t, h, "asker", nil)
	flooded := make(chan error, 1)
	go func() { flooded <- flood(pub, 0, 400) }()
	// The cut consumer, still not reading, leaves the state while the
	// flood goes on; then it reads, and gets the reason.
	hubtest.Eventually(t, 5*time.Second, "the cut consumer leaving the state", func() bool {
		return floodPeers(t, asker) == 1
	})
	if reason := slow.expectClose(wire.CloseSlowConsumer); reason == "" {
		t.Error("slow-consumer close without a reason")
	}
	expectMessages(t, got, 0, 400)
	if err := <-flooded; err != nil {
		t.Fatal(err)
	}
	if err := flood(pub, 400, 100); err != nil {
		t.Fatal(err)
	}
	expectMessages(t, got, 400, 100)
}

// TestSlowConsumerThatNeverReadsIsClosedPromptly: a cut consumer that never
// reads again has its socket closed shortly after the cut, not at the write
// deadline.
func TestSlowConsumerThatNeverReadsIsClosedPromptly(t *testing.T) {
	closed := make(chan string, 10)
	logger := slog.New(logTap{closed})
	_, _, pub, got := slowSetup(t, hub.Config{Logger: logger})
	if err := flood(pub, 0, 400); err != nil {
		t.Fatal(err)
	}
	expectMessages(t, got, 0, 400)
	select {
	case reason := <-closed:
		if !strings.Contains(reason, "slow consumer") {
			t.Errorf("connection closed with %q, want a slow consumer", reason)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the cut connection is still open 10 s after the flood")
	}
}

// logTap sends the reason of each "connection closed" record to a channel.
type logTap struct{ closed chan string }

func (l logTap) Enabled(context.Context, slog.Level) bool { return true }
func (l logTap) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l logTap) WithGroup(string) slog.Handler            { return l }
func (l logTap) Handle(_ context.Context, r slog.Record) error {
	if r.Message != "connection closed" {
		return nil
	}
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "reason" {
			l.closed <- a.Value.String()
		}
		return true
	})
	return nil
}

// expectEnd reads until the socket ends: with the hub's close frame, whose
// code must be code, or without it.
func (r *raw) expectEnd(code wire.CloseCode) {
	r.t.Helper()
	for {
		f, err := r.read()
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || isReset(err) {
			return
		}
		if err != nil {
			r.t.Fatalf("want the connection closed, got %v", err)
		}
		if f.Kind == wire.KindClose {
			if wire.CloseCode(f.Code) != code {
				r.t.Fatalf("closed with %v, want %v", wire.CloseCode(f.Code), code)
			}
			return
		}
	}
}
