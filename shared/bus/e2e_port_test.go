//go:build !js

package bus_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ipcbus/ipcbus/hub"
	"github.com/ipcbus/ipcbus/hub/hubtest"
	"github.com/ipcbus/ipcbus/shared/bus"
	"github.com/ipcbus/ipcbus/shared/wire"
)

// portPeer collects what arrives on one port end.
type portPeer struct {
	msgs   chan int
	closed chan struct{}
}

func watch(p *bus.Port) *portPeer {
	pp := &portPeer{msgs: make(chan int, 2048), closed: make(chan struct{})}
	p.OnMessage(func(m *bus.PortMessage) {
		var i int
		m.Decode(&i)
		pp.msgs <- i
	})
	p.OnClose(func() { close(pp.closed) })
	return pp
}

func (pp *portPeer) expectInOrder(t *testing.T, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		select {
		case got := <-pp.msgs:
			if got != i {
				t.Fatalf("message %d arrived as %d", i, got)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("got %d of %d messages", i, n)
		}
	}
}

func (pp *portPeer) expectClosed(t *testing.T) {
	t.Helper()
	select {
	case <-pp.closed:
	case <-time.After(5 * time.Second):
		t.Fatal("the other end did not see the close")
	}
}

// transferPort posts a new port from a to the listener of b on a channel
// and returns both ends.
func transferPort(t *testing.T, h *hub.Hub, a, b *bus.Client) (*bus.Port, *bus.Port) {
	t.Helper()
	ctx := ctxT(t)
	ch := fmt.Sprintf("port/%d/%d", a.Peer().ID, b.Peer().ID)
	got := make(chan *bus.Event, 1)
	b.On(ch, func(e *bus.Event) { got <- e })
	if err := b.Conn().Flush(ctx); err != nil {
		t.Fatal(err)
	}
	p := a.NewPort()
	if err := a.PostMessage(ctx, ch, "take this", p); err != nil {
		t.Fatal(err)
	}
	var e *bus.Event
	select {
	case e = <-got:
	case <-time.After(5 * time.Second):
		t.Fatal("the port message did not arrive")
	}
	var msg string
	e.Args(&msg)
	if msg != "take this" || len(e.Ports) != 1 {
		t.Fatalf("event %q with %d ports", msg, len(e.Ports))
	}
	return p, e.Ports[0]
}

func exchange(t *testing.T, p, q *bus.Port) {
	t.Helper()
	ctx := ctxT(t)
	atP, atQ := watch(p), watch(q)
	const n = 1000
	for i := 0; i < n; i++ {
		if err := p.Post(ctx, i); err != nil {
			t.Fatal(err)
		}
		if err := q.Post(ctx, i); err != nil {
			t.Fatal(err)
		}
	}
	atQ.expectInOrder(t, n)
	atP.expectInOrder(t, n)
	p.Close()
	atQ.expectClosed(t)
	atP.expectClosed(t)
	if err := q.Post(ctx, 1); err == nil {
		t.Fatal("post on a closed port succeeded")
	}
}

func TestPortRelayedBetweenConnections(t *testing.T) {
	h := hubtest.Start(t, hub.Config{})
	a, b := hubtest.Dial(t, h, "a", nil), hubtest.Dial(t, h, "b", nil)
	p, q := transferPort(t, h, a, b)
	if !p.Relayed() || !q.Relayed() || q.Origin() != nil {
		t.Fatal("ports between connections should be relayed")
	}
	exchange(t, p, q)
}

func TestPortJoinedInProcessOnOneConnection(t *testing.T) {
	h := hubtest.Start(t, hub.Config{})
	ctx := ctxT(t)
	a := hubtest.Dial(t, h, "page", nil)
	b := a.Conn().NewClient("frame", bus.Process{Type: wire.ProcessRendererFrame, PID: 1, FrameID: 1})
	if err := b.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	p, q := transferPort(t, h, a, b)
	if p.Relayed() || q.Origin() != p {
		t.Fatal("ports between peers of one connection should be joined in process")
	}
	exchange(t, p, q)
}

func TestPortToNobodyIsClosed(t *testing.T) {
	h := hubtest.Start(t, hub.Config{})
	a := hubtest.Dial(t, h, "a", nil)
	p := a.NewPort()
	w := watch(p)
	if err := a.PostMessage(ctxT(t), "nobody", "x", p); err != nil {
		t.Fatal(err)
	}
	w.expectClosed(t)
	if err := a.PostMessage(ctxT(t), "nobody", "x", p); err == nil {
		t.Fatal("a port was transferred twice")
	}
}

func TestPortClosesWhenTheOtherConnectionEnds(t *testing.T) {
	h := hubtest.Start(t, hub.Config{})
	a, b := hubtest.Dial(t, h, "a", nil), hubtest.Dial(t, h, "b", nil)
	p, _ := transferPort(t, h, a, b)
	w := watch(p)
	b.Close()
	w.expectClosed(t)
	if err := p.Post(context.Background(), 1); err == nil {
		t.Fatal("post on a port whose other end is gone succeeded")
	}
}
