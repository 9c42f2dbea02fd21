//go:build !js

package bus_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/ipcbus/ipcbus/hub"
	"github.com/ipcbus/ipcbus/hub/hubtest"
	"github.com/ipcbus/ipcbus/shared/bus"
)

// keepSize is over 64 KiB: such messages are read into pooled memory,
// which goes back to the pool once their listeners return.
const keepSize = 200 << 10

// TestKeptEventBytesOutliveTheListener: a listener that calls Keep may
// hold the []byte it decoded after it returns, while many more large
// messages are read after it.
func TestKeptEventBytesOutliveTheListener(t *testing.T) {
	h := hubtest.Start(t, hub.Config{})
	ctx := ctxT(t)
	sender := hubtest.Dial(t, h, "sender", nil)
	receiver := hubtest.Dial(t, h, "receiver", nil)
	const n = 30
	kept := make(chan []byte, n)
	receiver.On("big", func(e *bus.Event) {
		e.Keep()
		var p []byte
		if err := e.Args(&p); err != nil {
			t.Error(err)
		}
		kept <- p
	})
	if err := receiver.Conn().Flush(ctx); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if err := sender.Send(ctx, "big", bytes.Repeat([]byte{byte(i)}, keepSize)); err != nil {
			t.Fatal(err)
		}
	}
	var got [][]byte
	for range n {
		select {
		case p := <-kept:
			got = append(got, p)
		case <-ctx.Done():
			t.Fatalf("%d of %d messages", len(got), n)
		}
	}
	for i, p := range got {
		if !bytes.Equal(p, bytes.Repeat([]byte{byte(i)}, keepSize)) {
			t.Fatalf("message %d changed after its listener returned", i)
		}
	}
}

// checker is a service whose Check reads its large argument only once the
// test lets it, after more large messages reached the same connection.
type checker struct {
	entered chan struct{}
	release chan struct{}
}

func (c *checker) Check(p []byte) bool {
	c.entered <- struct{}{}
	<-c.release
	return bytes.Equal(p, bytes.Repeat([]byte{0xab}, keepSize))
}

// TestServiceHandlerReadsLargeArgsLater: a service runs each call on a
// goroutine of its own, after its listener returned; the call's large
// argument must still be the one sent when the handler reads it, though
// the connection read other large messages meanwhile. (The service's
// listener does not Keep its events: decoding the call copies its args.)
func TestServiceHandlerReadsLargeArgsLater(t *testing.T) {
	h := hubtest.Start(t, hub.Config{})
	ctx := ctxT(t)
	c := hubtest.Dial(t, h, "service", nil)
	impl := &checker{entered: make(chan struct{}, 1), release: make(chan struct{})}
	svc, err := bus.NewService(c, "checker", impl, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Stop(context.Background()) })
	const n = 8
	flooded := make(chan struct{}, n)
	c.On("flood", func(*bus.Event) { flooded <- struct{}{} })
	if err := c.Conn().Flush(ctx); err != nil {
		t.Fatal(err)
	}
	p := connectProxy(t, h, "checker", nil)

	type answer struct {
		ok  bool
		err error
	}
	done := make(chan answer, 1)
	go func() {
		ok, err := bus.CallAs[bool](ctx, p, "Check", bytes.Repeat([]byte{0xab}, keepSize))
		done <- answer{ok, err}
	}()
	select {
	case <-impl.entered:
	case <-ctx.Done():
		t.Fatal("the call did not reach its handler")
	}
	sender := hubtest.Dial(t, h, "sender", nil)
	for range n {
		if err := sender.Send(ctx, "flood", bytes.Repeat([]byte{0x11}, keepSize)); err != nil {
			t.Fatal(err)
		}
	}
	for i := range n {
		select {
		case <-flooded:
		case <-ctx.Done():
			t.Fatalf("%d of %d flood messages", i, n)
		}
	}
	close(impl.release)
	select {
	case a := <-done:
		if a.err != nil || !a.ok {
			t.Fatalf("Check: %v, %v: the argument changed before the handler read it", a.ok, a.err)
		}
	case <-ctx.Done():
		t.Fatal("no answer")
	}
}
