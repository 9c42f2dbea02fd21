package browsertests

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ipcbus/ipcbus/hub"
	"github.com/ipcbus/ipcbus/hub/hubtest"
	"github.com/ipcbus/ipcbus/shared/bus"
	"github.com/ipcbus/ipcbus/shared/wire"
)

// servicesJS is evaluated in a tab after the preload and helpers.js: S
// holds the tab's services, proxies and an inbox of what their listeners
// got, so that the Go side waits on events (S.take) instead of sleeping.
const servicesJS = `globalThis.S = (() => {
  'use strict';
  const ipc = globalThis.ElectronCommonIPC;
  const inbox = new Map(); // key -> [item]
  const waiters = new Map(); // key -> [resolve]

  function push(key, item) {
    const w = waiters.get(key);
    if (w && w.length) { w.shift()(item); return; }
    if (!inbox.has(key)) inbox.set(key, []);
    inbox.get(key).push(item);
  }

  function take(key, ms = 10000) {
    const q = inbox.get(key);
    if (q && q.length) return Promise.resolve(q.shift());
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('nothing for ' + key + ' within ' + ms + ' ms')), ms);
      if (!waiters.has(key)) waiters.set(key, []);
      waiters.get(key).push((item) => { clearTimeout(timer); resolve(item); });
    });
  }

  function deepEqual(a, b) {
    if (a instanceof Uint8Array || b instanceof Uint8Array) {
      return a instanceof Uint8Array && b instanceof Uint8Array && a.length === b.length && a.every((x, i) => x === b[i]);
    }
    if (a instanceof Date || b instanceof Date) {
      return a instanceof Date && b instanceof Date && a.getTime() === b.getTime();
    }
    if (Array.isArray(a) || Array.isArray(b)) {
      return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
    }
    if (a && b && typeof a === 'object' && typeof b === 'object') {
      const ka = Object.keys(a), kb = Object.keys(b);
      return ka.length === kb.length && ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && deepEqual(a[k], b[k]));
    }
    return a === b;
  }

  // table is the foundation's table of values, as JS has them (the Go side
  // has the same names in valueTable).
  function table(bytes) {
    return [
      ['true', true], ['false', false], ['zero', 0], ['45698', 45698], ['-45698', -45698], ['12302.23', 12302.23],
      ['+99999999999999', 99999999999999], ['-99999999999999', -99999999999999], ['empty string', ''],
      ['4 KiB string', 'x'.repeat(4096)], ['non-ASCII', 'héllo wörld, 日本語, 🚌'],
      ['mixed array', [true, 0, 's', 12302.23, null]],
      ['nested maps', { a: { b: null, c: [{ d: 'e' }] }, n: null }],
      ['128 random bytes', new Uint8Array(bytes)],
      ['timestamp', new Date(Date.UTC(2026, 10, 27, 4, 18, 16, 123))],
    ];
  }

  // settle says how a Promise settled, as JSON.
  async function settle(promise) {
    const t0 = performance.now();
    try {
      const value = await promise;
      return { ok: true, value: T.describe(value), ms: performance.now() - t0 };
    } catch (e) {
      return { ok: false, err: e instanceof Error ? e.message : e, isError: e instanceof Error, ms: performance.now() - t0 };
    }
  }

  // record returns a listener that keeps its arguments under key.
  function record(key) {
    return (...args) => push(key, args.map(T.describe));
  }

  // Calc is an outer instance that extends the EventEmitter: its functions
  // become handlers, its emits reach the proxies.
  class Calc extends ipc.EventEmitter {
    constructor() {
      super();
      this.own = (x) => 'own ' + x;
    }
    echo(v) { return v; }
    add(a, b) { return a + b; }
    fail() { throw new Error('it broke: ünïcode'); }
    async failAsync() { throw new Error('async broke'); }
    rejectString() { return Promise.reject('plain string'); }
    hang() { push('hang', true); return new Promise(() => {}); }
    trigger(x) { this.emit('MyEvent', x); return true; }
    _hidden() { return 'secret'; }
  }

  // emitterCases runs the table on a bare EventEmitter and on a proxy whose
  // service (on the same client) sends the events through the hub.
  async function emitterCases(clientName, cases) {
    const local = new ipc.EventEmitter();
    const bare = await T.playEmitterCases(cases, () => local, (ev) => { local.emit(ev); });
    const c = T.client(clientName);
    const svc = ipc.CreateIpcBusService(c, 'emitter');
    const p = ipc.CreateIpcBusServiceProxy(c, 'emitter', { timeoutDelay: 10000 });
    const connected = p.connect();
    svc.start();
    await connected;
    let release = null;
    p.on('barrier', () => release());
    const proxied = await T.playEmitterCases(cases, () => p, (ev) => {
      const done = new Promise((resolve) => { release = resolve; });
      svc.sendEvent(ev);
      svc.sendEvent('barrier');
      return done;
    });
    svc.stop();
    await p.close();
    return { bare, proxied };
  }

  return { ipc, push, take, deepEqual, table, settle, record, Calc, emitterCases };
})(); true`

// jsSettled is how a Promise settled in the page (S.settle).
type jsSettled struct {
	OK      bool    `json:"ok"`
	Value   any     `json:"value"`
	Err     any     `json:"err"`
	IsError bool    `json:"isError"`
	MS      float64 `json:"ms"`
}

// jsStatus is a service status as the page describes it.
type jsStatus struct {
	Started             bool     `json:"started"`
	CallHandlers        []string `json:"callHandlers"`
	SupportEventEmitter bool     `json:"supportEventEmitter"`
}

// openServicesTab opens a tab with the preload isolated, the services
// helpers loaded and a client named name connected.
func openServicesTab(t *testing.T, h *hub.Hub, name string) (*tab, bus.Peer) {
	t.Helper()
	tb := openTab(t, pageURL(h, "/test/blank.html"), preload{isolated: true, electron: electronArgs(h)})
	tb.eval(servicesJS, nil)
	var peer bus.Peer
	tb.eval(fmt.Sprintf(`T.connect(%q)`, name), &peer)
	return tb, peer
}

// serviceTime is the foundation's timestamp at the millisecond, as a JS
// Date holds it.
var serviceTime = time.Date(2026, 11, 27, 4, 18, 16, 123000000, time.UTC)

// valueTable is the foundation's table of values (shared/bus
// roundTripValues), by name: what a Go peer sends and what it decodes.
func valueTable(random []byte) map[string][2]any {
	return map[string][2]any{
		"true":            {true, true},
		"false":           {false, false},
		"zero":            {0, int64(0)},
		"45698":           {45698, int64(45698)},
		"-45698":          {-45698, int64(-45698)},
		"12302.23":        {12302.23, 12302.23},
		"+99999999999999": {int64(99999999999999), int64(99999999999999)},
		"-99999999999999": {int64(-99999999999999), int64(-99999999999999)},
		"empty string":    {"", ""},
		"4 KiB string":    {strings.Repeat("x", 4096), strings.Repeat("x", 4096)},
		"non-ASCII":       {"héllo wörld, 日本語, 🚌", "héllo wörld, 日本語, 🚌"},
		"mixed array":     {[]any{true, 0, "s", 12302.23, nil}, []any{true, int64(0), "s", 12302.23, nil}},
		"nested maps": {
			map[string]any{"a": map[string]any{"b": nil, "c": []any{map[string]any{"d": "e"}}}, "n": nil},
			map[string]any{"a": map[string]any{"b": nil, "c": []any{map[string]any{"d": "e"}}}, "n": nil},
		},
		"128 random bytes": {random, random},
		"timestamp":        {serviceTime, serviceTime},
	}
}

func randomBytes(t *testing.T) ([]byte, string) {
	b := make([]byte, 128)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	ints := make([]int, len(b))
	for i, c := range b {
		ints[i] = int(c)
	}
	js, _ := json.Marshal(ints)
	return b, string(js)
}

func equalValue(a, b any) bool {
	if ta, ok := a.(time.Time); ok {
		tb, ok := b.(time.Time)
		return ok && ta.Equal(tb)
	}
	return reflect.DeepEqual(a, b)
}

// goCalc is the outer value of a Go service: its exported methods are the
// handlers.
type goCalc struct {
	want    map[string][2]any
	emit    func(event string, args ...any) error
	entered chan struct{}
}

func newGoCalc(want map[string][2]any) *goCalc {
	return &goCalc{want: want, entered: make(chan struct{}, 1)}
}

// check answers a call (name, v) with v when v is what a Go peer decodes
// for the table's value name (Values, as a listener's Event gives), and
// fails otherwise.
func (c *goCalc) check(_ context.Context, call *bus.ServiceCall) (any, error) {
	vals, err := call.Values()
	if err != nil || len(vals) != 2 {
		return nil, fmt.Errorf("args %#v, %v", vals, err)
	}
	name, _ := vals[0].(string)
	w, ok := c.want[name]
	if !ok {
		return nil, fmt.Errorf("no value named %q", name)
	}
	if !equalValue(vals[1], w[1]) {
		return nil, fmt.Errorf("Go decoded %#v (%T), want %#v (%T)", vals[1], vals[1], w[1], w[1])
	}
	return vals[1], nil
}

func (c *goCalc) Add(a, b int) int { return a + b }
func (c *goCalc) Fail() error      { return errors.New("it broke: ünïcode") }

// Block waits for its ctx, which ends when the service stops.
func (c *goCalc) Block(ctx context.Context) error {
	c.entered <- struct{}{}
	<-ctx.Done()
	return ctx.Err()
}
func (c *goCalc) Trigger(x string) error                              { return c.emit("MyEvent", x) }
func (c *goCalc) BindEmit(emit func(event string, args ...any) error) { c.emit = emit }

var goCalcHandlers = []string{"Add", "Block", "Fail", "Trigger"}

// A Go service called from a page's proxies: the proxy connects before the
// service starts and its early call runs at the start, while a proxy with a
// shorter timeoutDelay times out; values of the foundation's table
// round-trip; rejections, status and availability; the service's events
// and its outer value's emits; stop fails the pending call.
func TestGoServiceFromPageProxy(t *testing.T) {
	h := startHub(t, hub.Config{})
	ctx := ctxFor(t, 60*time.Second)
	random, randomJS := randomBytes(t)
	impl := newGoCalc(valueTable(random))
	svc, err := bus.NewService(native(t, h, "go-service"), "calc", impl, nil)
	if err != nil {
		t.Fatal(err)
	}
	svc.RegisterCallHandler("Check", impl.check)
	t.Cleanup(func() { svc.Stop(context.Background()) })
	tb, _ := openServicesTab(t, h, "page")

	// The proxy first: connect and a call wait for the start; a proxy whose
	// timeoutDelay is shorter than the wait fails with 'timeout'.
	var early struct {
		Connect jsSettled `json:"connect"`
		Call    jsSettled `json:"call"`
		Started bool      `json:"started"`
	}
	tb.eval(`(async () => {
		const c = T.client("page");
		S.p = S.ipc.CreateIpcBusServiceProxy(c, "calc", { timeoutDelay: 20000 });
		S.p.on(S.ipc.IPCBUS_SERVICE_EVENT_START, S.record("start"));
		S.p.on(S.ipc.IPCBUS_SERVICE_EVENT_STOP, S.record("stop"));
		S.connected = S.settle(S.p.connect().then((w) => w === S.p.getWrapper()));
		S.early = S.settle(S.p.call("Add", 1, 2));
		const short = S.ipc.CreateIpcBusServiceProxy(c, "calc", { timeoutDelay: 300 });
		const [connect, call] = await Promise.all([S.settle(short.connect()), S.settle(short.call("Add", 1, 1))]);
		await T.sync("page");
		return { connect, call, started: S.p.isStarted };
	})()`, &early)
	for what, r := range map[string]jsSettled{"connect": early.Connect, "call": early.Call} {
		if r.OK || r.Err != "timeout" || r.MS < 250 || r.MS > 5000 { // the page measures from a little after the proxy starts its timer
			t.Errorf("%s of the proxy with timeoutDelay 300 = %+v, want 'timeout' after 300 ms", what, r)
		}
	}
	if early.Started {
		t.Fatal("the proxy is started before the service")
	}

	if err := svc.Start(ctx); err != nil {
		t.Fatal(err)
	}
	var started struct {
		Connect jsSettled  `json:"connect"`
		Early   jsSettled  `json:"early"`
		Start   []jsStatus `json:"start"`
		Started bool       `json:"started"`
		Wrapper []string   `json:"wrapper"`
	}
	tb.eval(`(async () => ({
		connect: await S.connected, early: await S.early, start: await S.take("start"), started: S.p.isStarted,
		wrapper: Object.keys(S.p.getWrapper()).filter((k) => typeof S.p.getWrapper()[k] === 'function').sort(),
	}))()`, &started)
	if !started.Connect.OK || started.Connect.Value != true {
		t.Errorf("connect = %+v, want the wrapper once the service started", started.Connect)
	}
	if !started.Early.OK || started.Early.Value != 3.0 {
		t.Errorf("call made before the start = %+v, want 3", started.Early)
	}
	calcHandlers := append(slices.Clone(goCalcHandlers), "Check")
	want := jsStatus{Started: true, CallHandlers: calcHandlers, SupportEventEmitter: true}
	if len(started.Start) != 1 || !reflect.DeepEqual(started.Start[0], want) || !started.Started {
		t.Errorf("start event %+v (started %v), want %+v", started.Start, started.Started, want)
	}
	var wrapper []string
	for _, n := range calcHandlers {
		wrapper = append(wrapper, n, "request_"+n, "send_"+n)
	}
	if strings.Join(started.Wrapper, " ") != strings.Join(slices.Sorted(slices.Values(wrapper)), " ") {
		t.Errorf("wrapper methods %v, want %v", started.Wrapper, slices.Sorted(slices.Values(wrapper)))
	}

	// The foundation's values, each through the wrapper: the Go handler
	// checks what it decoded and sends it back; the page compares.
	var fails []string
	tb.eval(`(async () => {
		const w = S.p.getWrapper();
		const fails = [];
		for (const [name, v] of S.table(`+randomJS+`)) {
			try {
				const back = await w.Check(name, v);
				if (!S.deepEqual(back, v)) fails.push(name + ': got back ' + JSON.stringify(T.describe(back)));
			} catch (e) {
				fails.push(name + ': ' + e);
			}
		}
		return fails;
	})()`, &fails)
	for _, f := range fails {
		t.Error(f)
	}

	var r struct {
		Unknown   jsSettled `json:"unknown"`
		Fail      jsSettled `json:"fail"`
		Status    jsSettled `json:"status"`
		Available jsSettled `json:"available"`
		Send      jsSettled `json:"send"`
	}
	tb.eval(`(async () => {
		S.p.getWrapper().on("MyEvent", S.record("wrapped"));
		S.p.on("MyEvent", S.record("plain"));
		S.p.on("custom", S.record("custom"));
		return {
			unknown: await S.settle(S.p.call("nope", 1)),
			fail: await S.settle(S.p.getWrapper().Fail()),
			status: await S.settle(S.p.getStatus()),
			available: await S.settle(S.p.checkAvailability()),
			send: await S.settle(Promise.resolve(S.p.getWrapper().send_Trigger("sent"))),
		};
	})()`, &r)
	if r.Unknown.OK || r.Unknown.Err != "Function unknown !" || r.Unknown.IsError {
		t.Errorf("unknown handler = %+v, want the string 'Function unknown !'", r.Unknown)
	}
	if r.Fail.OK || r.Fail.Err != "it broke: ünïcode" {
		t.Errorf("failing handler = %+v, want its message", r.Fail)
	}
	if st, _ := json.Marshal(r.Status.Value); !r.Status.OK || string(st) != `{"callHandlers":["Add","Block","Fail","Trigger","Check"],"started":true,"supportEventEmitter":true}` {
		t.Errorf("getStatus = %+v", r.Status)
	}
	if !r.Available.OK || r.Available.Value != true {
		t.Errorf("checkAvailability = %+v, want true", r.Available)
	}

	// Events: the Go value's emit (through send_Trigger, a call without
	// answer, above) reaches the wrapper and the proxy; a plain event only
	// the proxy.
	if err := svc.SendEvent(ctx, "custom", 1, "a"); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Wrapped []any `json:"wrapped"`
		Plain   []any `json:"plain"`
		Custom  []any `json:"custom"`
	}
	tb.eval(`(async () => ({ wrapped: await S.take("wrapped"), plain: await S.take("plain"), custom: await S.take("custom") }))()`, &got)
	if !reflect.DeepEqual(got.Wrapped, []any{"sent"}) || !reflect.DeepEqual(got.Plain, []any{"sent"}) || !reflect.DeepEqual(got.Custom, []any{1.0, "a"}) {
		t.Errorf("events: %+v", got)
	}

	// Stop: the pending call fails, the proxy emits service-event-stop.
	tb.eval(`S.pending = S.settle(S.p.call("Block")); true`, nil)
	recv(t, impl.entered, "the Block call")
	if err := svc.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	var stopped struct {
		Stop    []any     `json:"stop"`
		Started bool      `json:"started"`
		Pending jsSettled `json:"pending"`
	}
	tb.eval(`(async () => ({ stop: await S.take("stop"), started: S.p.isStarted, pending: await S.pending }))()`, &stopped)
	if len(stopped.Stop) != 0 || stopped.Started {
		t.Errorf("after stop: event args %v, started %v; want no args, not started", stopped.Stop, stopped.Started)
	}
	if stopped.Pending.OK || stopped.Pending.Err != "Service 'calc' stopped" {
		t.Errorf("call pending at the stop = %+v, want \"Service 'calc' stopped\"", stopped.Pending)
	}

	t.Run("emitter table", func(t *testing.T) {
		raw, err := os.ReadFile("../shared/bus/testdata/emitter_cases.json")
		if err != nil {
			t.Fatal(err)
		}
		var file struct {
			Cases []emitterCase `json:"cases"`
		}
		if err := json.Unmarshal(raw, &file); err != nil || len(file.Cases) == 0 {
			t.Fatalf("cases: %v", err)
		}
		cases, _ := json.Marshal(file.Cases)
		type result map[string]struct {
			Emits  [][]string `json:"emits"`
			Errors []string   `json:"errors"`
		}
		var res struct {
			Bare    result `json:"bare"`
			Proxied result `json:"proxied"`
		}
		tb.eval(`S.emitterCases("page", `+string(cases)+`)`, &res)
		for kind, got := range map[string]result{"EventEmitter": res.Bare, "proxy": res.Proxied} {
			for _, tc := range file.Cases {
				g, ok := got[tc.Name]
				if !ok {
					t.Errorf("%s: %s did not run", kind, tc.Name)
					continue
				}
				for _, e := range g.Errors {
					t.Errorf("%s: %s: %s", kind, tc.Name, e)
				}
				if !reflect.DeepEqual(g.Emits, tc.Emits) {
					t.Errorf("%s: %s: calls per emit = %v, want %v", kind, tc.Name, g.Emits, tc.Emits)
				}
			}
		}
	})
}

// A page's service, whose outer instance extends the EventEmitter, called
// from a Go proxy and from another page's proxy, both connected before it
// starts: values of the foundation's table round-trip; rejections; its
// emits reach both wrappers; the hub lists it beside a Go service; stop
// fails the calls pending on both proxies.
func TestPageServiceFromGoProxy(t *testing.T) {
	h := startHub(t, hub.Config{})
	ctx := ctxFor(t, 60*time.Second)
	pc := native(t, h, "go-proxy")
	gp := bus.NewServiceProxy(pc, "jsvc", &bus.ServiceProxyOptions{Timeout: 20 * time.Second})
	t.Cleanup(func() { gp.Close() })
	connected := make(chan error, 1)
	go func() { connected <- gp.Connect(ctx) }()
	hubtest.Eventually(t, 5*time.Second, "the Go proxy listening", func() bool {
		return pc.ListenerCount(bus.ServiceEventChannel("jsvc")) == 1
	})
	if err := pc.Conn().Flush(ctx); err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	if _, err := gp.Call(short, "add", 1, 1); !errors.Is(err, bus.ErrTimeout) {
		t.Fatalf("Go call with a deadline shorter than the wait: %v, want ErrTimeout", err)
	}
	stopped := make(chan struct{}, 1)
	gp.On(bus.ServiceEventStop, func(*bus.Event) { stopped <- struct{}{} })
	goEvents := make(chan []any, 2)
	for _, em := range []*bus.EventEmitter{gp.Wrapper(), &gp.EventEmitter} {
		em.On("MyEvent", func(e *bus.Event) {
			v, err := e.Values()
			if err != nil {
				t.Errorf("MyEvent: %v", err)
			}
			goEvents <- v
		})
	}

	// Page B's proxy, before the service too: its early call runs at the start.
	b, _ := openServicesTab(t, h, "bob")
	b.eval(`(async () => {
		S.p = S.ipc.CreateIpcBusServiceProxy(T.client("bob"), "jsvc", { timeoutDelay: 20000 });
		S.p.on(S.ipc.IPCBUS_SERVICE_EVENT_STOP, S.record("stop"));
		S.p.getWrapper().on("MyEvent", S.record("wrapped"));
		S.connected = S.settle(S.p.connect().then((w) => w === S.p.getWrapper()));
		S.early = S.settle(S.p.call("add", 2, 3));
		await T.sync("bob");
		return !S.p.isStarted;
	})()`, nil)

	a, alice := openServicesTab(t, h, "alice")
	a.eval(`S.impl = new S.Calc();
		S.impl.on("MyEvent", S.record("local"));
		S.svc = S.ipc.CreateIpcBusService(T.client("alice"), "jsvc", S.impl);
		S.svc.registerCallHandler("extra", function () { return this === S.impl; });
		S.svc.registerCallHandler("_secret", () => "secret");
		S.svc.start(); true`, nil)
	if err := recv(t, connected, "the Go proxy's connect"); err != nil {
		t.Fatalf("Go connect: %v", err)
	}
	jsHandlers := []string{"own", "echo", "add", "fail", "failAsync", "rejectString", "hang", "trigger", "extra"}
	st, peer := gp.LastStatus()
	if want := (bus.ServiceStatus{Started: true, CallHandlers: jsHandlers, SupportEventEmitter: true}); !reflect.DeepEqual(st, want) || peer.ID != alice.ID {
		t.Errorf("status %+v from %+v, want %+v from the page %d", st, peer, want, alice.ID)
	}
	var early struct {
		Connect jsSettled `json:"connect"`
		Early   jsSettled `json:"early"`
	}
	b.eval(`(async () => ({ connect: await S.connected, early: await S.early }))()`, &early)
	if !early.Connect.OK || early.Connect.Value != true || !early.Early.OK || early.Early.Value != 5.0 {
		t.Errorf("page proxy made before the start: %+v", early)
	}

	// The foundation's values, through the page's echo. A Date holds
	// milliseconds: a time.Time comes back at the millisecond.
	random, _ := randomBytes(t)
	values := valueTable(random)
	ns := serviceTime.Add(456789 * time.Nanosecond)
	values["timestamp in ns"] = [2]any{ns, serviceTime}
	for name, v := range values {
		resp, err := gp.Call(ctx, "echo", v[0])
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		got, err := resp.Value()
		if err != nil || !equalValue(got, v[1]) {
			t.Errorf("%s: sent %#v, got back %#v, %v", name, v[0], got, err)
		}
	}
	for handler, want := range map[string]string{
		"nope": "Function unknown !", "_hidden": "Function unknown !", "fail": "it broke: ünïcode", "failAsync": "async broke", "rejectString": "plain string",
	} {
		_, err := gp.Call(ctx, handler)
		var rej *bus.RejectedError
		if !errors.As(err, &rej) || rej.Message != want {
			t.Errorf("%s: %v, want a rejection %q", handler, err, want)
		}
	}
	for handler, want := range map[string]any{"_secret": "secret", "own": "own x", "extra": true} {
		resp, err := gp.Call(ctx, handler, "x")
		if err != nil {
			t.Errorf("%s: %v", handler, err)
			continue
		}
		if got, err := resp.Value(); err != nil || got != want {
			t.Errorf("%s = %#v, %v; want %#v", handler, got, err, want)
		}
	}

	// The outer instance's emit reaches the Go proxy (wrapper and proxy),
	// the other page's wrapper, and its own listeners.
	a.eval(`S.impl.emit("MyEvent", { x: 1 }, "two")`, nil)
	for i := 0; i < 2; i++ {
		if v := recv(t, goEvents, "MyEvent in Go"); !reflect.DeepEqual(v, []any{map[string]any{"x": int64(1)}, "two"}) {
			t.Errorf("Go got MyEvent %#v", v)
		}
	}
	var emitted [2][]any
	b.eval(`S.take("wrapped")`, &emitted[0])
	a.eval(`S.take("local")`, &emitted[1])
	for i, who := range []string{"the other page's wrapper", "the instance's own listener"} {
		if !reflect.DeepEqual(emitted[i], []any{map[string]any{"x": 1.0}, "two"}) {
			t.Errorf("%s got %#v", who, emitted[i])
		}
	}

	// ipcbus services: the hub lists the page's service beside a Go one.
	gsvc, err := bus.NewService(pc, "gosvc", newGoCalc(nil), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := gsvc.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { gsvc.Stop(context.Background()) })
	hubtest.Eventually(t, 5*time.Second, "gosvc available", func() bool { return h.IsServiceAvailable("gosvc") })
	resp, err := pc.Request(ctx, wire.ChannelQueryServices) // what ipcbus services asks
	if err != nil {
		t.Fatal(err)
	}
	var listed []hub.ServiceState
	if err := resp.Decode(&listed); err != nil {
		t.Fatal(err)
	}
	for _, list := range [][]hub.ServiceState{listed, h.Services()} {
		if len(list) != 2 || list[0].Name != "gosvc" || list[0].Peer.ID != pc.Peer().ID || !reflect.DeepEqual(list[0].CallHandlers, goCalcHandlers) ||
			list[1].Name != "jsvc" || list[1].Peer.ID != alice.ID || list[1].Peer.Process.Type != "renderer" ||
			!reflect.DeepEqual(list[1].CallHandlers, jsHandlers) || !list[1].SupportEventEmitter {
			t.Errorf("services %+v", list)
		}
	}
	var available bool
	b.eval(`S.p.checkAvailability()`, &available)
	if !available {
		t.Error("checkAvailability from the page: false")
	}

	// Stop: the calls pending on both proxies fail, both see the stop.
	pending := make(chan error, 1)
	go func() { _, err := gp.Call(ctx, "hang"); pending <- err }()
	b.eval(`S.pending = S.settle(S.p.call("hang")); true`, nil)
	a.eval(`(async () => { await S.take("hang"); await S.take("hang"); return true; })()`, nil)
	var ownEmit bool
	a.eval(`S.svc.stop(); Object.prototype.hasOwnProperty.call(S.impl, "emit")`, &ownEmit)
	if ownEmit {
		t.Error("the instance's emit is still hooked after stop")
	}
	recv(t, stopped, "the Go proxy's stop event")
	if gp.IsStarted() {
		t.Error("the Go proxy is started after the stop")
	}
	err = recv(t, pending, "the Go call pending at the stop")
	var se *bus.ServiceStoppedError
	if !errors.As(err, &se) || se.Error() != "Service 'jsvc' stopped" {
		t.Errorf("Go call pending at the stop: %v, want Service 'jsvc' stopped", err)
	}
	var bStop struct {
		Stop    []any     `json:"stop"`
		Started bool      `json:"started"`
		Pending jsSettled `json:"pending"`
	}
	b.eval(`(async () => ({ stop: await S.take("stop"), started: S.p.isStarted, pending: await S.pending }))()`, &bStop)
	if len(bStop.Stop) != 0 || bStop.Started || bStop.Pending.OK || bStop.Pending.Err != "Service 'jsvc' stopped" {
		t.Errorf("page proxy after the stop: %+v", bStop)
	}
	hubtest.Eventually(t, 5*time.Second, "jsvc unlisted", func() bool { return !h.IsServiceAvailable("jsvc") })
}
