//go:build !js

package bus_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ipcbus/ipcbus/hub"
	"github.com/ipcbus/ipcbus/hub/hubtest"
	"github.com/ipcbus/ipcbus/shared/bus"
)

// calc is an outer value whose exported methods become call handlers.
type calc struct {
	emit    func(event string, args ...any) error
	entered chan struct{}
	ended   chan error
}

type person struct {
	Name string `msgpack:"name"`
	Age  int    `msgpack:"age"`
}

func newCalc() *calc { return &calc{entered: make(chan struct{}, 1), ended: make(chan error, 1)} }

func (c *calc) Echo(v any) any   { return v }
func (c *calc) Add(a, b int) int { return a + b }
func (c *calc) Div(a, b float64) (float64, error) {
	if b == 0 {
		return 0, errors.New("division by zero")
	}
	return a / b, nil
}
func (c *calc) Sum(xs ...int) int {
	n := 0
	for _, x := range xs {
		n += x
	}
	return n
}
func (c *calc) Hello(ctx context.Context, p person) (string, error) {
	if ctx == nil {
		return "", errors.New("no ctx")
	}
	return "hello " + p.Name, nil
}

// Block waits for its ctx, which ends when the service stops.
func (c *calc) Block(ctx context.Context) error {
	c.entered <- struct{}{}
	<-ctx.Done()
	c.ended <- context.Cause(ctx)
	return ctx.Err()
}
func (c *calc) Trigger(x string) error                              { return c.emit("MyEvent", x) }
func (c *calc) BindEmit(emit func(event string, args ...any) error) { c.emit = emit }

var calcHandlers = []string{"Add", "Block", "Div", "Echo", "Hello", "Sum", "Trigger"}

// startService starts a calc service named name on a connection of its own.
func startService(t *testing.T, h *hub.Hub, name string) (*bus.Service, *calc, *bus.Client) {
	t.Helper()
	c := hubtest.Dial(t, h, "service", nil)
	impl := newCalc()
	svc, err := bus.NewService(c, name, impl, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Start(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Stop(context.Background()) })
	return svc, impl, c
}

// connectProxy connects a proxy of name on a connection of its own.
func connectProxy(t *testing.T, h *hub.Hub, name string, opts *bus.ServiceProxyOptions) *bus.ServiceProxy {
	t.Helper()
	p := bus.NewServiceProxy(hubtest.Dial(t, h, "proxy", nil), name, opts)
	if err := p.Connect(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func TestServiceValuesRoundTrip(t *testing.T) {
	h := hubtest.Start(t, hub.Config{})
	ctx := ctxT(t)
	startService(t, h, "calc")
	p := connectProxy(t, h, "calc", nil)
	for name, c := range roundTripValues(t) {
		sent, want := c[0], c[1]
		resp, err := p.Call(ctx, "Echo", sent)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got, err := resp.Value()
		if err != nil || !equalValue(got, want) {
			t.Errorf("%s: sent %#v, got back %#v, %v", name, sent, got, err)
		}
	}
}

func TestServiceTypedHandlers(t *testing.T) {
	h := hubtest.Start(t, hub.Config{})
	ctx := ctxT(t)
	startService(t, h, "calc")
	p := connectProxy(t, h, "calc", nil)

	if n, err := bus.CallAs[int](ctx, p, "Add", 40, 2); err != nil || n != 42 {
		t.Fatalf("Add = %d, %v", n, err)
	}
	if n, err := bus.CallAs[int](ctx, p, "Add", 40); err != nil || n != 40 {
		t.Fatalf("Add with an argument missing = %d, %v (want the zero value for it)", n, err)
	}
	if n, err := bus.CallAs[int](ctx, p, "Sum", 1, 2, 3, 4); err != nil || n != 10 {
		t.Fatalf("Sum = %d, %v", n, err)
	}
	if n, err := bus.CallAs[int](ctx, p, "Sum"); err != nil || n != 0 {
		t.Fatalf("Sum() = %d, %v", n, err)
	}
	if f, err := bus.CallAs[float64](ctx, p, "Div", 1, 4); err != nil || f != 0.25 {
		t.Fatalf("Div = %v, %v", f, err)
	}
	if s, err := bus.CallAs[string](ctx, p, "Hello", map[string]any{"name": "Ada", "age": 36}); err != nil || s != "hello Ada" {
		t.Fatalf("Hello = %q, %v", s, err)
	}
	// A handler without result resolves with nil.
	resp, err := p.Call(ctx, "Trigger", "x")
	if v, verr := resp.Value(); err != nil || verr != nil || v != nil {
		t.Fatalf("Trigger = %v, %v, %v", v, err, verr)
	}
	st, err := p.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := bus.ServiceStatus{Started: true, CallHandlers: calcHandlers, SupportEventEmitter: true}
	if !reflect.DeepEqual(st, want) {
		t.Fatalf("status %+v, want %+v", st, want)
	}
}

func TestServiceRejections(t *testing.T) {
	h := hubtest.Start(t, hub.Config{})
	ctx := ctxT(t)
	svc, _, _ := startService(t, h, "calc")
	svc.RegisterCallHandler("_hidden", func(context.Context, *bus.ServiceCall) (any, error) { return "secret", nil })
	if err := svc.RegisterFunc("fail", func() error { return errors.New("it broke: ünïcode") }); err != nil {
		t.Fatal(err)
	}
	if err := svc.RegisterFunc("panics", func() int { panic("handler bug") }); err != nil {
		t.Fatal(err)
	}
	p := connectProxy(t, h, "calc", nil)

	cases := []struct{ handler, message string }{
		{"nope", "Function unknown !"},
		{"fail", "it broke: ünïcode"},
		{"Div", "division by zero"},
		{"panics", "handler bug"},
	}
	for _, c := range cases {
		args := []any{}
		if c.handler == "Div" {
			args = []any{1, 0}
		}
		_, err := p.Call(ctx, c.handler, args...)
		var rej *bus.RejectedError
		if !errors.As(err, &rej) || !errors.Is(err, bus.ErrRejected) || rej.Message != c.message {
			t.Errorf("%s: got %v, want a rejection %q", c.handler, err, c.message)
		}
	}
	// Hidden handlers are callable but not listed.
	if s, err := bus.CallAs[string](ctx, p, "_hidden"); err != nil || s != "secret" {
		t.Fatalf("_hidden = %q, %v", s, err)
	}
	st, err := p.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range st.CallHandlers {
		if strings.HasPrefix(n, "_") {
			t.Fatalf("status lists %q: %v", n, st.CallHandlers)
		}
	}
	if !reflect.DeepEqual(st.CallHandlers, append(append([]string{}, calcHandlers...), "fail", "panics")) {
		t.Fatalf("handlers %v", st.CallHandlers)
	}
}

func TestProxyFirstServiceLater(t *testing.T) {
	h := hubtest.Start(t, hub.Config{})
	ctx := ctxT(t)
	pc := hubtest.Dial(t, h, "proxy", nil)
	p := bus.NewServiceProxy(pc, "late", &bus.ServiceProxyOptions{Timeout: 5 * time.Second})
	defer p.Close()
	started := make(chan bus.ServiceStatus, 1)
	p.On(bus.ServiceEventStart, func(e *bus.Event) {
		var st bus.ServiceStatus
		e.Args(&st)
		started <- st
	})

	connected := make(chan error, 1)
	go func() { connected <- p.Connect(context.Background()) }()
	hubtest.Eventually(t, 5*time.Second, "proxy listening", func() bool {
		return pc.ListenerCount(bus.ServiceEventChannel("late")) == 1
	})
	type result struct {
		n   int
		err error
	}
	called := make(chan result, 1)
	go func() {
		n, err := bus.CallAs[int](context.Background(), p, "Add", 1, 2)
		called <- result{n, err}
	}()
	hubtest.Eventually(t, 5*time.Second, "call queued", func() bool { return p.QueuedCalls() == 1 })
	// A call with a deadline shorter than the wait fails with a timeout.
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if _, err := p.Call(short, "Add", 1, 1); !errors.Is(err, bus.ErrTimeout) {
		t.Fatalf("short call: %v, want ErrTimeout", err)
	}
	if p.IsStarted() {
		t.Fatal("started before the service")
	}

	startService(t, h, "late")
	if err := <-connected; err != nil {
		t.Fatalf("connect: %v", err)
	}
	if r := <-called; r.err != nil || r.n != 3 {
		t.Fatalf("queued call = %d, %v", r.n, r.err)
	}
	if st := <-started; !st.Started || !reflect.DeepEqual(st.CallHandlers, calcHandlers) {
		t.Fatalf("start event status %+v", st)
	}
	if !p.IsStarted() || p.QueuedCalls() != 0 {
		t.Fatalf("started %v, queued %d", p.IsStarted(), p.QueuedCalls())
	}
}

func TestConnectTimesOutWithoutService(t *testing.T) {
	h := hubtest.Start(t, hub.Config{})
	ctx := ctxT(t)
	p := bus.NewServiceProxy(hubtest.Dial(t, h, "proxy", nil), "absent", &bus.ServiceProxyOptions{Timeout: 30 * time.Millisecond})
	defer p.Close()
	if _, err := p.Call(ctx, "Add"); !errors.Is(err, bus.ErrClosed) {
		t.Fatalf("call before connect: %v, want ErrClosed", err)
	}
	if err := p.Connect(context.Background()); !errors.Is(err, bus.ErrTimeout) {
		t.Fatalf("connect: %v, want ErrTimeout", err)
	}
	// The proxy still listens: the default deadline applies to calls too.
	if _, err := p.Call(context.Background(), "Add"); !errors.Is(err, bus.ErrTimeout) {
		t.Fatalf("call: %v, want ErrTimeout", err)
	}
	if p.QueuedCalls() != 0 {
		t.Fatalf("%d calls still queued", p.QueuedCalls())
	}
}

func TestCallQueueIsBounded(t *testing.T) {
	h := hubtest.Start(t, hub.Config{})
	p := bus.NewServiceProxy(hubtest.Dial(t, h, "proxy", nil), "absent", &bus.ServiceProxyOptions{MaxQueuedCalls: 1, Timeout: -1})
	short, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	p.Connect(short)
	ctx, cancelWait := context.WithCancel(context.Background())
	waiting := make(chan error, 1)
	go func() { _, err := p.Call(ctx, "Add"); waiting <- err }()
	hubtest.Eventually(t, 5*time.Second, "call queued", func() bool { return p.QueuedCalls() == 1 })
	if _, err := p.Call(ctx, "Add"); !errors.Is(err, bus.ErrCallQueueFull) {
		t.Fatalf("second queued call: %v, want ErrCallQueueFull", err)
	}
	cancelWait()
	if err := <-waiting; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled call: %v", err)
	}
	p.Close()
}

func TestServiceStopRejectsPendingCalls(t *testing.T) {
	h := hubtest.Start(t, hub.Config{})
	ctx := ctxT(t)
	svc, impl, _ := startService(t, h, "calc")
	p := connectProxy(t, h, "calc", nil)
	stopped := make(chan struct{}, 1)
	p.On(bus.ServiceEventStop, func(e *bus.Event) {
		if vals, _ := e.Values(); len(vals) != 0 {
			t.Errorf("stop event with args %v", vals)
		}
		stopped <- struct{}{}
	})
	pending := make(chan error, 1)
	go func() { _, err := p.Call(ctx, "Block"); pending <- err }()
	<-impl.entered
	if err := svc.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	<-stopped
	if p.IsStarted() {
		t.Fatal("proxy still started")
	}
	err := <-pending
	var se *bus.ServiceStoppedError
	if !errors.Is(err, bus.ErrServiceStopped) || !errors.As(err, &se) || se.Error() != "Service 'calc' stopped" {
		t.Fatalf("pending call: %v, want Service 'calc' stopped", err)
	}
	if cause := <-impl.ended; !errors.Is(cause, bus.ErrServiceStopped) {
		t.Fatalf("handler ctx ended with %v", cause)
	}
	// A call made now waits for the next start.
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if _, err := p.Call(short, "Add", 1, 1); !errors.Is(err, bus.ErrTimeout) {
		t.Fatalf("call while stopped: %v, want ErrTimeout", err)
	}
	// Restarted, it serves again.
	if err := svc.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if n, err := bus.CallAs[int](ctx, p, "Add", 2, 2); err != nil || n != 4 {
		t.Fatalf("after restart: %d, %v", n, err)
	}
}

func TestProxyCloseFailsCallsAndEmitsStop(t *testing.T) {
	h := hubtest.Start(t, hub.Config{})
	ctx := ctxT(t)
	_, impl, _ := startService(t, h, "calc")
	p := connectProxy(t, h, "calc", nil)
	stopped := make(chan struct{}, 1)
	// A listener that closes its own proxy must not deadlock.
	p.Once(bus.ServiceEventStop, func(*bus.Event) { p.Close(); stopped <- struct{}{} })
	pending := make(chan error, 1)
	go func() { _, err := p.Call(ctx, "Block"); pending <- err }()
	<-impl.entered
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	<-stopped
	if err := <-pending; !errors.Is(err, bus.ErrClosed) {
		t.Fatalf("pending call: %v, want ErrClosed", err)
	}
	if p.IsStarted() {
		t.Fatal("started after close")
	}
	// It connects again.
	if err := p.Connect(ctx); err != nil || !p.IsStarted() {
		t.Fatalf("reconnect: %v", err)
	}
}

func TestServiceEventsReachProxyListeners(t *testing.T) {
	h := hubtest.Start(t, hub.Config{})
	ctx := ctxT(t)
	svc, _, _ := startService(t, h, "calc")
	p := connectProxy(t, h, "calc", nil)
	events := newInbox()
	wrapped := newInbox()
	p.AddListener("custom", events.listener, bus.WithKey("k1"))
	p.Once("custom", events.listener)
	p.On("MyEvent", events.listener)
	p.Wrapper().On("MyEvent", wrapped.listener)
	p.Wrapper().On("custom", wrapped.listener)
	if infos := p.Listeners("custom"); len(infos) != 2 || infos[0].Key != "k1" || !infos[1].Once {
		t.Fatalf("listeners %+v", infos)
	}

	if err := svc.SendEvent(ctx, "custom", 1, "a"); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		e := events.next(t)
		var n int
		var s string
		if err := e.Args(&n, &s); err != nil || e.Channel != "custom" || n != 1 || s != "a" {
			t.Fatalf("event %d: %s %d %q %v", i, e.Channel, n, s, err)
		}
	}
	if p.ListenerCount("custom") != 1 {
		t.Fatal("once listener not removed")
	}
	// The outer value's emit reaches the proxy and its wrapper.
	if _, err := p.Call(ctx, "Trigger", "fired"); err != nil {
		t.Fatal(err)
	}
	for _, in := range []inbox{wrapped, events} {
		e := in.next(t)
		var s string
		if err := e.Args(&s); err != nil || e.Channel != "MyEvent" || s != "fired" {
			t.Fatalf("wrapper event %s %q %v", e.Channel, s, err)
		}
	}
	// Plain events do not reach the wrapper: the next thing it gets is
	// the next wrapper event.
	svc.SendEvent(ctx, "custom", 2, "b")
	svc.Emit(ctx, "MyEvent", "second")
	if e := events.next(t); e.Channel != "custom" {
		t.Fatalf("got %s", e.Channel)
	}
	if e := wrapped.next(t); e.Channel != "MyEvent" {
		t.Fatalf("wrapper got %s", e.Channel)
	}
	events.next(t)
}

func TestCheckAvailability(t *testing.T) {
	h := hubtest.Start(t, hub.Config{})
	ctx := ctxT(t)
	pc := hubtest.Dial(t, h, "proxy", nil)
	p := bus.NewServiceProxy(pc, "avail", nil)
	check := func(want bool) {
		t.Helper()
		got, err := p.CheckAvailability(ctx)
		if err != nil || got != want || h.IsServiceAvailable("avail") != want {
			t.Fatalf("available = %v (hub %v), %v; want %v", got, h.IsServiceAvailable("avail"), err, want)
		}
	}
	check(false)

	// A peer that listens on the call channel without announcing a start
	// is not a service.
	squatter := hubtest.Dial(t, h, "squatter", nil)
	squatter.On(bus.ServiceCallChannel("avail"), func(*bus.Event) {})
	waitSubscribed(t, h, bus.ServiceCallChannel("avail"), 1)
	check(false)

	squatter.RemoveAllListeners()
	waitSubscribed(t, h, bus.ServiceCallChannel("avail"), 0)

	// The hub records a start before it delivers it: a peer that heard it
	// finds the service available.
	heard := make(chan bool, 1)
	pc.On(bus.ServiceEventChannel("avail"), func(*bus.Event) {
		go func() { ok, _ := p.CheckAvailability(ctx); heard <- ok }()
	})
	waitSubscribed(t, h, bus.ServiceEventChannel("avail"), 1)
	sc := hubtest.Dial(t, h, "service", nil)
	svc, err := bus.NewService(sc, "avail", newCalc(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if !<-heard {
		t.Fatal("not available to a peer that heard the start")
	}
	pc.RemoveAllListeners()
	if err := p.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	check(true)
	list := h.Services()
	if len(list) != 1 || list[0].Name != "avail" || list[0].Peer.ID != sc.Peer().ID ||
		!reflect.DeepEqual(list[0].CallHandlers, calcHandlers) || !list[0].SupportEventEmitter {
		t.Fatalf("services %+v", list)
	}
	stopped := make(chan struct{}, 1)
	p.On(bus.ServiceEventStop, func(*bus.Event) { stopped <- struct{}{} })
	if err := svc.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	<-stopped
	check(false)

	// Started again, then its peer leaves without stopping.
	if err := svc.Start(ctx); err != nil {
		t.Fatal(err)
	}
	hubtest.Eventually(t, 5*time.Second, "service available", func() bool { return h.IsServiceAvailable("avail") })
	sc.Close()
	hubtest.Eventually(t, 5*time.Second, "service gone", func() bool { return !h.IsServiceAvailable("avail") })
	check(false)
	if len(h.Services()) != 0 {
		t.Fatalf("services %+v", h.Services())
	}
}

// TestProxyEmitterCases plays the shared EventEmitter table on a proxy's
// listeners: each emit is an event the service sends.
func TestProxyEmitterCases(t *testing.T) {
	h := hubtest.Start(t, hub.Config{})
	ctx := ctxT(t)
	svc, _, _ := startService(t, h, "calc")
	p := connectProxy(t, h, "calc", nil)
	barrier := make(chan struct{})
	p.On("barrier", func(*bus.Event) { barrier <- struct{}{} })
	for _, tc := range bus.LoadEmitterCases(t) {
		t.Run(tc.Name, func(t *testing.T) {
			ev := "emitter/" + tc.Name
			add := func(label string, fn bus.Listener, opts ...bus.ListenOption) {
				p.AddListener(ev, fn, append(opts, bus.WithKey(label))...)
			}
			off := func(label string) {
				infos := p.Listeners(ev)
				for i := len(infos) - 1; i >= 0; i-- {
					if infos[i].Key == label {
						p.Off(ev, infos[i].ID)
						return
					}
				}
			}
			emit := func() {
				// The table's listeners share variables with this goroutine
				// and the race detector sees no order through sockets: the
				// emitter's lock, which the emit takes too, gives it one.
				p.ListenerCount(ev)
				if err := svc.SendEvent(ctx, ev); err != nil {
					t.Fatal(err)
				}
				if err := svc.SendEvent(ctx, "barrier"); err != nil {
					t.Fatal(err)
				}
				<-barrier
			}
			got := bus.RunEmitterCase(t, tc, add, off, func() { p.RemoveAllListeners(ev) }, func() int { return p.ListenerCount(ev) }, emit)
			if !reflect.DeepEqual(got, tc.Emits) {
				t.Errorf("calls per emit = %v, want %v", got, tc.Emits)
			}
		})
	}
}

// TestServiceAndProxyOnOneClient: a page may serve and call itself.
func TestServiceAndProxyOnOneClient(t *testing.T) {
	h := hubtest.Start(t, hub.Config{})
	ctx := ctxT(t)
	c := hubtest.Dial(t, h, "both", nil)
	p := bus.NewServiceProxy(c, "self", nil)
	defer p.Close()
	connected := make(chan error, 1)
	go func() { connected <- p.Connect(ctx) }()
	hubtest.Eventually(t, 5*time.Second, "proxy listening", func() bool {
		return c.ListenerCount(bus.ServiceEventChannel("self")) == 1
	})
	svc, err := bus.NewService(c, "self", newCalc(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer svc.Stop(ctx)
	if err := <-connected; err != nil {
		t.Fatal(err)
	}
	if n, err := bus.CallAs[int](ctx, p, "Add", 20, 22); err != nil || n != 42 {
		t.Fatalf("Add = %d, %v", n, err)
	}
}
