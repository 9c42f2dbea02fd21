package hub_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/ipcbus/ipcbus/hub"
	"github.com/ipcbus/ipcbus/hub/hubtest"
	"github.com/ipcbus/ipcbus/shared/wire"
)

// TestFullSocketNeverBlocksThePublisher: the hub writes a frame to an
// idle receiver on the publisher's own goroutine, as far as the socket
// takes it. A receiver that does not read fills its socket within a few
// frames; the hub must hand the rest to a writer and not wait, so that the
// other subscriber gets every message meanwhile, and once the stalled
// receiver reads it gets each frame whole and in order.
func TestFullSocketNeverBlocksThePublisher(t *testing.T) {
	const n = 64
	const size = 60 << 10 // each written on the publisher's goroutine when the queue is empty
	h := hubtest.Start(t, hub.Config{MaxFrameBytes: 128 << 10, MaxPendingBytes: 16 << 20, WriteTimeout: time.Minute})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	stalled := dialRaw(t, h)
	peer := stalled.hello()
	stalled.write(wire.Frame{Kind: wire.KindSubscribe, Channel: "burst", Peer: peer})
	fast := hubtest.Dial(t, h, "fast", nil)
	got := intsOn(fast, "burst", n)
	pub := hubtest.Dial(t, h, "publisher", nil)
	hubtest.Eventually(t, 5*time.Second, "subscriptions", func() bool { return channelPeers(h, "burst") == 2 })

	for i := range n {
		// Sent one at a time, each after the last was delivered: every
		// one finds the stalled receiver's queue as the last one left it.
		if err := pub.Send(ctx, "burst", i, bytes.Repeat([]byte{byte(i)}, size)); err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
		select {
		case j := <-got:
			if j != i {
				t.Fatalf("fast subscriber got message %d, want %d", j, i)
			}
		case <-ctx.Done():
			t.Fatalf("fast subscriber got %d of %d messages while the other did not read", i, n)
		}
	}
	for i := range n {
		f := stalled.expect(wire.KindMessage)
		var args struct {
			_msgpack struct{} `msgpack:",as_array"`
			I        int
			B        []byte
		}
		if err := msgpack.Unmarshal(f.Body, &args); err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
		if args.I != i {
			t.Fatalf("stalled receiver got message %d, want %d", args.I, i)
		}
		if !bytes.Equal(args.B, bytes.Repeat([]byte{byte(i)}, size)) {
			t.Fatalf("message %d: payload of %d bytes is not the one sent", i, len(args.B))
		}
	}
}

// TestBurstBeforeABadFrameIsDelivered: frames read together are delivered
// as a burst, their receivers' writers started once the burst is handled;
// a malformed frame at its end closes the publisher, and the good frames
// before it still reach their receiver.
func TestBurstBeforeABadFrameIsDelivered(t *testing.T) {
	h := hubtest.Start(t, hub.Config{})
	rcv := hubtest.Dial(t, h, "receiver", nil)
	got := intsOn(rcv, "burst", 8)
	pub := dialRaw(t, h)
	peer := pub.hello()
	hubtest.Eventually(t, 5*time.Second, "subscription", func() bool { return channelPeers(h, "burst") == 1 })
	bad := []byte{0xff, 0xff, 0xff}
	all := append(rawSends(t, peer, "burst", 0, 1, 2), append(wire.AppendStreamHeader(nil, len(bad)), bad...)...)
	if _, err := pub.nc.Write(all); err != nil { // one write: one read in the hub
		t.Fatal(err)
	}
	expectMessages(t, got, 0, 3) // the good frames before the bad one
	pub.expectClose(wire.CloseProtocolError)
}

// TestInlineWriteAfterTheWriteDeadline: a receiver's socket keeps the write
// deadline its writer last set; once that deadline has passed, a frame the
// hub would write at once goes to the writer instead (which sets a new
// one), and the receiver gets it.
func TestInlineWriteAfterTheWriteDeadline(t *testing.T) {
	const timeout = 20 * time.Millisecond
	h := hubtest.Start(t, hub.Config{WriteTimeout: timeout})
	rcv := hubtest.Dial(t, h, "receiver", nil)
	got := intsOn(rcv, "late", 8)
	pub := dialRaw(t, h)
	peer := pub.hello()
	hubtest.Eventually(t, 5*time.Second, "subscription", func() bool { return channelPeers(h, "late") == 1 })
	send := func(ids ...int) {
		if _, err := pub.nc.Write(rawSends(t, peer, "late", ids...)); err != nil {
			t.Fatal(err)
		}
	}
	send(0, 1) // read together: a burst, written by the writer, which sets the deadline
	expectMessages(t, got, 0, 2)
	time.Sleep(2 * timeout) // nothing to await: the deadline passes with time
	send(2)
	expectMessages(t, got, 2, 1)
	if n := channelPeers(h, "late"); n != 1 {
		t.Fatalf("the receiver left: %d peers on the channel", n)
	}
}
