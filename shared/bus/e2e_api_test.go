//go:build !js

package bus_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"regexp"
	"testing"
	"time"

	"github.com/ipcbus/ipcbus/hub"
	"github.com/ipcbus/ipcbus/hub/hubtest"
	"github.com/ipcbus/ipcbus/nativeclient"
	"github.com/ipcbus/ipcbus/shared/bus"
)

// TestRequestTimeoutSaysWhatTimedOut: a request nobody answers fails with
// an error naming the channel and the time it was given, which is still
// ErrTimeout (and a net.Error timeout).
func TestRequestTimeoutSaysWhatTimedOut(t *testing.T) {
	h := hubtest.Start(t, hub.Config{})
	silent := hubtest.Dial(t, h, "silent", nil)
	silent.On("slow", func(*bus.Event) {}) // listens, never answers
	if err := silent.Flush(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	c := hubtest.Dial(t, h, "asker", &bus.Options{RequestTimeout: 50 * time.Millisecond})
	_, err := c.Request(context.Background(), "slow")
	if want := `ipcbus: request on "slow": timed out after 50ms`; err == nil || err.Error() != want {
		t.Fatalf("err %v, want %s", err, want)
	}
	var ne net.Error
	if !errors.Is(err, bus.ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) || !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("%v is not a timeout to errors.Is/As", err)
	}
	// The ctx's own deadline is the time given.
	ctx, cancel := context.WithTimeout(context.Background(), 80*time.Millisecond)
	defer cancel()
	if _, err := c.Request(ctx, "slow"); err == nil || !errors.Is(err, bus.ErrTimeout) || !regexp.MustCompile(`^ipcbus: request on "slow": timed out after [78]\dms$`).MatchString(err.Error()) {
		t.Fatalf("with the ctx's deadline: %v", err)
	}
}

// TestConnectTimeoutNegativeWaitsWithoutLimit: ConnectTimeout < 0 gives
// Connect no deadline of its own (a hub started later is waited for), as
// RequestTimeout < 0 does for requests; the default gives 2 s.
func TestConnectTimeoutNegativeWaitsWithoutLimit(t *testing.T) {
	h := hubtest.Start(t, hub.Config{})
	for _, tc := range []struct {
		timeout time.Duration
		limited bool
	}{{-1, false}, {0, true}} {
		var hasDeadline bool
		var left time.Duration
		real, err := nativeclient.Dialer(h.Addr("unix"))
		if err != nil {
			t.Fatal(err)
		}
		dial := func(ctx context.Context) (bus.Transport, error) {
			dl, ok := ctx.Deadline()
			hasDeadline, left = ok, time.Until(dl)
			return real(ctx)
		}
		c := bus.NewClient(dial, &bus.Options{ConnectTimeout: tc.timeout})
		if err := c.Connect(context.Background()); err != nil {
			t.Fatal(err)
		}
		c.Close()
		if hasDeadline != tc.limited || tc.limited && (left > 2*time.Second || left < time.Second) {
			t.Errorf("ConnectTimeout %v: dial had a deadline %v (%v left), want %v", tc.timeout, hasDeadline, left, tc.limited)
		}
	}
}

// TestConnectTimeoutNamesTheHubAndTheTime: a connect a hub does not
// answer says where it tried and how long it waited.
func TestConnectTimeoutNamesTheHubAndTheTime(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		nc, err := l.Accept() // and never answers
		if err == nil {
			accepted <- nc
		}
	}()
	addr := "tcp:" + l.Addr().String()
	dial, err := nativeclient.Dialer(addr)
	if err != nil {
		t.Fatal(err)
	}
	c := bus.NewClient(dial, &bus.Options{Addr: addr, ConnectTimeout: 100 * time.Millisecond})
	defer c.Close()
	err = c.Connect(context.Background())
	if want := "ipcbus: connect to " + addr + ": timed out after 100ms"; err == nil || err.Error() != want {
		t.Fatalf("err %v, want %s", err, want)
	}
	if !errors.Is(err, bus.ErrTimeout) {
		t.Fatalf("%v is not ErrTimeout", err)
	}
	(<-accepted).Close()
}

// TestClientFlushMakesListenersLive: once Flush returns, a listener added
// before it gets what another peer sends.
func TestClientFlushMakesListenersLive(t *testing.T) {
	h := hubtest.Start(t, hub.Config{})
	ctx := ctxT(t)
	a := hubtest.Dial(t, h, "a", nil)
	b := hubtest.Dial(t, h, "b", nil)
	in := newInbox()
	for i := range 20 {
		ch := fmt.Sprintf("fresh/%d", i)
		b.On(ch, in.listener)
		if err := b.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		if err := a.Send(ctx, ch, i); err != nil {
			t.Fatal(err)
		}
		if e := in.next(t); e.Channel != ch {
			t.Fatalf("got %s, want %s", e.Channel, ch)
		}
	}
	b.Close()
	if err := b.Flush(ctx); !errors.Is(err, bus.ErrClosed) {
		t.Fatalf("Flush after Close: %v, want ErrClosed", err)
	}
}

// TestRequestAsAndTheHubsChannels: RequestAs decodes the answer into a
// type, here from the hub's own query channels.
func TestRequestAsAndTheHubsChannels(t *testing.T) {
	h := hubtest.Start(t, hub.Config{})
	ctx := ctxT(t)
	c := hubtest.Dial(t, h, "asker", nil)
	c.On("math/add", func(e *bus.Event) {
		var a, b int
		e.Args(&a, &b)
		e.Request.Resolve(a + b)
	})
	if err := c.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if n, err := bus.RequestAs[int](ctx, c, "math/add", 2, 3); err != nil || n != 5 {
		t.Fatalf("RequestAs[int] = %d, %v", n, err)
	}
	if _, err := bus.RequestAs[map[string]int](ctx, c, "math/add", 2, 3); err == nil {
		t.Fatal("an int decoded as a map")
	}
	state, err := bus.RequestAs[hub.State](ctx, c, bus.ChannelQueryState)
	if err != nil || len(state.Connections) != 1 || state.Connections[0].Peers[0].Name != "asker" {
		t.Fatalf("state %+v, %v", state, err)
	}
	startService(t, h, "calc")
	hubtest.Eventually(t, 5*time.Second, "calc available", func() bool { return h.IsServiceAvailable("calc") })
	if ok, err := bus.RequestAs[bool](ctx, c, bus.ChannelServiceAvailable, "calc"); err != nil || !ok {
		t.Fatalf("calc available: %v, %v", ok, err)
	}
	services, err := bus.RequestAs[[]hub.ServiceState](ctx, c, bus.ChannelQueryServices)
	if err != nil || len(services) != 1 || services[0].Name != "calc" {
		t.Fatalf("services %+v, %v", services, err)
	}
}

// files has Go-named methods that JS proxies call by their JS names.
type files struct{}

func (files) GetArg0(s string) string { return s }
func (files) URLFor(p string) string  { return "file://" + p }

// TestServiceWithJSNames: with MethodName bus.JSName, a Go method GetArg0
// answers getArg0, as proxies in pages and Node call it.
func TestServiceWithJSNames(t *testing.T) {
	h := hubtest.Start(t, hub.Config{})
	ctx := ctxT(t)
	sc := hubtest.Dial(t, h, "service", nil)
	svc, err := bus.NewService(sc, "files", files{}, &bus.ServiceOptions{MethodName: bus.JSName})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer svc.Stop(ctx)
	p := connectProxy(t, h, "files", nil)
	if st, _ := p.LastStatus(); fmt.Sprint(st.CallHandlers) != "[getArg0 urlFor]" {
		t.Fatalf("handlers %v", st.CallHandlers)
	}
	if s, err := bus.CallAs[string](ctx, p, "getArg0", "x"); err != nil || s != "x" {
		t.Fatalf("getArg0 = %q, %v", s, err)
	}
	if _, err := p.Call(ctx, "GetArg0", "x"); !errors.Is(err, bus.ErrRejected) {
		t.Fatalf("GetArg0: %v, want a rejection (Function unknown)", err)
	}
	for in, want := range map[string]string{"GetArg0": "getArg0", "URLFor": "urlFor", "ID": "id", "HTTP2Server": "http2Server", "Add": "add", "x": "x"} {
		if got := bus.JSName(in); got != want {
			t.Errorf("JSName(%q) = %q, want %q", in, got, want)
		}
	}
}
