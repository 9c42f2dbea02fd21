package hub_test

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/ipcbus/ipcbus/hub"
	"github.com/ipcbus/ipcbus/hub/hubtest"
	"github.com/ipcbus/ipcbus/shared/bus"
)

// largePayload is payload i of a test: n bytes, all i.
func largePayload(i, n int) []byte { return bytes.Repeat([]byte{byte(i)}, n) }

var largeSizes = []int{100 << 10, 700 << 10, 1<<20 + 300}

// TestLargePayloadsArriveIntact sends large payloads, which the hub reads
// into pooled buffers and reuses once written, to two receivers, and makes
// requests with large payloads answered by an echo: every receiver and
// requester gets every payload as it was sent, in order, though the hub
// reads the next frames while the last ones are still being written.
func TestLargePayloadsArriveIntact(t *testing.T) {
	h := hubtest.Start(t, hub.Config{})
	sender := hubtest.Dial(t, h, "sender", nil)
	const n = 40
	type got struct {
		i int
		p []byte
	}
	var recvs []chan got
	for r := range 2 {
		c := hubtest.Dial(t, h, fmt.Sprintf("recv%d", r), nil)
		ch := make(chan got, n)
		i := 0
		c.On("large", func(e *bus.Event) {
			e.Keep() // p is read by the test after the listener returned
			var p []byte
			if err := e.Args(&p); err != nil {
				t.Error(err)
			}
			ch <- got{i, p}
			i++
		})
		if err := c.Conn().Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
		recvs = append(recvs, ch)
	}
	responder := hubtest.Dial(t, h, "responder", nil)
	responder.On("echo", func(e *bus.Event) {
		var p []byte
		e.Args(&p)
		e.Request.Resolve(p)
	})
	if err := responder.Conn().Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for i := range n {
		if err := sender.Send(ctx, "large", largePayload(i, largeSizes[i%len(largeSizes)])); err != nil {
			t.Fatal(err)
		}
	}
	for r, ch := range recvs {
		for i := range n {
			select {
			case g := <-ch:
				if g.i != i || !bytes.Equal(g.p, largePayload(i, largeSizes[i%len(largeSizes)])) {
					t.Fatalf("receiver %d, payload %d: %d bytes, first %d, want %d bytes of %d", r, i, len(g.p), g.p[0], largeSizes[i%len(largeSizes)], byte(i))
				}
			case <-ctx.Done():
				t.Fatalf("receiver %d: %d of %d payloads", r, i, n)
			}
		}
	}
	var wg sync.WaitGroup
	for lane := range 4 {
		wg.Go(func() {
			for k := range 6 {
				i := lane*6 + k
				want := largePayload(i, largeSizes[i%len(largeSizes)])
				res, err := sender.Request(ctx, "echo", want)
				if err != nil {
					t.Error(err)
					return
				}
				var p []byte
				if err := res.Decode(&p); err != nil || !bytes.Equal(p, want) {
					t.Errorf("request %d: answer of %d bytes (%v), want %d bytes of %d", i, len(p), err, len(want), byte(i))
				}
			}
		})
	}
	wg.Wait()
}

// TestSmallPayloadsArriveIntact: the hub reads a busy connection's small
// frames into pooled slabs, reused once every frame read into them is
// written. A receiver that does not read for a while keeps its frames
// queued (and their slabs held) while the hub reads thousands more; both
// receivers get every payload as it was sent, in order.
func TestSmallPayloadsArriveIntact(t *testing.T) {
	h := hubtest.Start(t, hub.Config{})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	const n = 5000
	payload := func(i int) []byte { return largePayload(i, 100+(i*37)%8000) }
	gate := make(chan struct{})
	var recvs []chan []byte
	for r := range 2 {
		c := hubtest.Dial(t, h, fmt.Sprintf("recv%d", r), nil)
		ch := make(chan []byte, n)
		c.On("small", func(e *bus.Event) {
			if r == 1 {
				<-gate // the hub queues for this one meanwhile
			}
			e.Keep() // p is read by the test after the listener returned
			var p []byte
			e.Args(&p)
			ch <- p
		})
		if err := c.Conn().Flush(ctx); err != nil {
			t.Fatal(err)
		}
		recvs = append(recvs, ch)
	}
	sender := hubtest.Dial(t, h, "sender", nil)
	for i := range n {
		if err := sender.Send(ctx, "small", payload(i)); err != nil {
			t.Fatal(err)
		}
	}
	check := func(r int) {
		for i := range n {
			select {
			case p := <-recvs[r]:
				if !bytes.Equal(p, payload(i)) {
					t.Fatalf("receiver %d, payload %d: %d bytes, not the ones sent", r, i, len(p))
				}
			case <-ctx.Done():
				t.Fatalf("receiver %d: %d of %d payloads", r, i, n)
			}
		}
	}
	check(0)
	close(gate)
	check(1)
}
