//go:build !js

package bus_test

import (
	"bytes"
	"testing"

	"github.com/ipcbus/ipcbus/hub"
	"github.com/ipcbus/ipcbus/hub/hubtest"
	"github.com/ipcbus/ipcbus/shared/bus"
)

// A large []byte sent as the last argument is written from the caller's
// memory: once Send returns, the caller may change it, and the receiver
// still gets what was sent. Arguments before it arrive as they were.
func TestSendLargeBytesMayBeReusedOnceSent(t *testing.T) {
	h := hubtest.Start(t, hub.Config{})
	ctx := ctxT(t)
	sender := hubtest.Dial(t, h, "sender", nil)
	receiver := hubtest.Dial(t, h, "receiver", nil)
	in := newInbox()
	receiver.On("big", in.listener)
	if err := receiver.Conn().Flush(ctx); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 1<<20)
	const n = 8
	for i := range n {
		for j := range buf {
			buf[j] = byte(i + 1)
		}
		if err := sender.Send(ctx, "big", "label", i, buf); err != nil {
			t.Fatal(err)
		}
	}
	clear(buf) // after the last Send
	for i := range n {
		var label string
		var k int
		var got []byte
		if err := in.next(t).Args(&label, &k, &got); err != nil {
			t.Fatal(err)
		}
		if label != "label" || k != i || !bytes.Equal(got, bytes.Repeat([]byte{byte(i + 1)}, 1<<20)) {
			t.Fatalf("message %d: %q, %d and %d bytes (first %d), want %q, %d and 1 MiB of %d", i, label, k, len(got), got[0], "label", i, i+1)
		}
	}
	// The smallest so written, alone.
	small := bytes.Repeat([]byte{7}, 64<<10)
	if err := sender.Send(ctx, "big", small); err != nil {
		t.Fatal(err)
	}
	var got []byte
	if err := in.next(t).Args(&got); err != nil || !bytes.Equal(got, small) {
		t.Fatalf("64 KiB alone: %d bytes, %v", len(got), err)
	}
}

// A large []byte sent while the client reconnects is buffered as a copy:
// changing it once Send returned does not change what is delivered (to
// the sender's own listener, which is back before its buffer is sent).
func TestSendLargeBytesWhileReconnectingIsCopied(t *testing.T) {
	r := hubtest.StartRestartable(t, hub.Config{})
	ctx := ctxT(t)
	sst := newStatuses()
	sender := dialTo(t, r.Addr(), fastReconnect("sender", sst))
	in := newInbox()
	sender.On("big", in.listener)
	r.Kill()
	sst.waitFor(t, bus.StatusDisconnected, 1)
	buf := bytes.Repeat([]byte{1}, 256<<10)
	if err := sender.Send(ctx, "big", buf); err != nil {
		t.Fatal(err)
	}
	clear(buf)
	r.Start()
	var got []byte
	if err := in.next(t).Args(&got); err != nil || !bytes.Equal(got, bytes.Repeat([]byte{1}, 256<<10)) {
		t.Fatalf("buffered send: %d bytes, first %v, %v", len(got), got[:1], err)
	}
}

// A request whose last argument is a large []byte, answered with a large
// []byte that the responder changes once Resolve returned: both arrive as
// they were sent.
func TestRequestLargeBytesBothWays(t *testing.T) {
	h := hubtest.Start(t, hub.Config{})
	ctx := ctxT(t)
	asker := hubtest.Dial(t, h, "asker", nil)
	responder := hubtest.Dial(t, h, "responder", nil)
	answer := make([]byte, 1<<20)
	responder.On("big", func(e *bus.Event) {
		var k int
		var got []byte
		if err := e.Args(&k, &got); err != nil || len(got) != 1<<20 || got[0] != byte(k) || got[len(got)-1] != byte(k) {
			e.Request.Reject("bad request")
			return
		}
		for j := range answer {
			answer[j] = byte(k + 100)
		}
		e.Request.Resolve(answer)
		clear(answer)
	})
	if err := responder.Conn().Flush(ctx); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 1<<20)
	for k := range 4 {
		for j := range buf {
			buf[j] = byte(k)
		}
		resp, err := asker.Request(ctx, "big", k, buf)
		if err != nil {
			t.Fatal(err)
		}
		var got []byte
		if err := resp.Decode(&got); err != nil || !bytes.Equal(got, bytes.Repeat([]byte{byte(k + 100)}, 1<<20)) {
			t.Fatalf("answer %d: %d bytes, %v", k, len(got), err)
		}
	}
}
