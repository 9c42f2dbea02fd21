package browsertests

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/ipcbus/ipcbus/hub"
	"github.com/ipcbus/ipcbus/shared/bus"
)

// portRun is what T.received reports.
type portRun struct {
	N       int     `json:"n"`
	InOrder bool    `json:"inOrder"`
	MS      float64 `json:"ms"`
}

// portArrival is what T.waitPort reports of the message that brought a port.
type portArrival struct {
	Message any      `json:"message"`
	IsMap   bool     `json:"isMap"`
	Ports   int      `json:"ports"`
	Sender  bus.Peer `json:"sender"`
}

const portMessages = 1000

// A page in tab A transfers a port to a page in tab B over a channel: the
// hub relays it between the two connections. 1,000 messages each way
// arrive in order; A closes its end and B sees its port close.
func TestPortTransferBetweenTabs(t *testing.T) {
	h := startHub(t, hub.Config{})
	a := openPage(t, h, electronArgs(h))
	b := openPage(t, h, electronArgs(h))
	var bob bus.Peer
	b.evalPage(`T.connect("b").then((p) => { T.listenPort("b", "port-here", "p"); return T.sync("b").then(() => p); })`, &bob)
	a.evalPage(`T.connect("a").then(() => T.client("a").postMessage("port-here", new Map([[1, "one"]]), [T.newPort("p")]))`, nil)

	var got portArrival
	b.evalPage(`T.waitPort("p")`, &got)
	if got.Ports != 1 || got.IsMap || got.Sender.ID == bob.ID {
		t.Errorf("B got %+v, want one port from A, and the message through msgpack (no Map)", got)
	}
	// The hub relays the port: what crosses is msgpack, a Map arrives as
	// an object.
	var isMap bool
	a.evalPage(`T.portOf("p").postMessage(new Map([[1, "one"]])) || true`, nil)
	b.evalPage(`T.next("p").then((v) => v instanceof Map || !v || v[1] !== "one")`, &isMap)
	if isMap {
		t.Errorf("a Map posted on the relayed port arrived as a Map or not at all")
	}
	exchange(t, "tab A", "tab B", a.evalPage, b.evalPage)
}

// exchange runs the port checks between the ends kept under "p" by two
// evaluators: 1,000 messages each way in order, the round trip, then one
// closes and the other sees it.
func exchange(t *testing.T, nameA, nameB string, evalA, evalB func(string, any)) {
	t.Helper()
	var wg sync.WaitGroup
	var atA, atB portRun
	var oneWay time.Duration
	start := time.Now()
	wg.Add(1)
	go func() {
		defer wg.Done()
		evalB(fmt.Sprintf(`T.received("p", %d)`, portMessages), &atB)
		oneWay = time.Since(start)
	}()
	evalA(fmt.Sprintf(`T.burst("p", %d)`, portMessages), nil)
	evalB(fmt.Sprintf(`T.burst("p", %d)`, portMessages), nil)
	evalA(fmt.Sprintf(`T.received("p", %d)`, portMessages), &atA)
	wg.Wait()
	both := time.Since(start)
	for _, r := range []struct {
		at  string
		run portRun
	}{{nameA, atA}, {nameB, atB}} {
		if r.run.N != portMessages || !r.run.InOrder {
			t.Errorf("%s received %d messages, in order %v; want %d in order", r.at, r.run.N, r.run.InOrder, portMessages)
		}
	}
	evalB(`T.reset("p") && T.echo("p")`, nil)
	evalA(`T.reset("p")`, nil)
	var rtt float64
	rttStart := time.Now()
	evalA(`T.rtt("p", 100)`, &rtt)
	t.Logf("%s ↔ %s: %d messages %s → %s in %v, %d each way in %v; round trip %.3f ms (100 in %v)",
		nameA, nameB, portMessages, nameA, nameB, oneWay.Round(time.Millisecond), portMessages, both.Round(time.Millisecond), rtt, time.Since(rttStart).Round(time.Millisecond))

	evalA(`T.closePort("p")`, nil)
	evalB(`T.closed("p")`, nil)
}

// Two frames of one page are peers of one connection: the port goes from
// one to the other as it is (a real transfer: a Map arrives as a Map,
// which msgpack would not keep), and closing it tells the other frame.
func TestPortTransferBetweenFrames(t *testing.T) {
	h := startHub(t, hub.Config{})
	nat := native(t, h, "native")
	tb := openPage(t, h, electronArgs(h, "--ipcbus-frames="+otherOrigin(h, "")))
	tb.evalPage(fmt.Sprintf(`T.addFrame("x", %q, { grant: true })`, pageURL(h, "/test/frame.html#name=x")), nil)
	tb.evalPage(fmt.Sprintf(`T.addFrame("y", %q)`, otherOrigin(h, "/test/frame.html#name=y")), nil)
	var x, y frameStatus
	tb.evalPage(`T.frameStatus("x")`, &x)
	tb.evalPage(`T.frameStatus("y")`, &y)
	if !x.OK || !y.OK {
		t.Fatalf("frames: %+v %+v", x, y)
	}
	drive(t, nat, "y", `T.listenPort("y", "port-here", "p"); await T.sync("y"); return true;`, nil)
	drive(t, nat, "x", fmt.Sprintf(`return T.client("x").postMessageTo({ id: %d }, "port-here", new Map([[1, "one"]]), [T.newPort("p")]);`, y.Peer.ID), nil)
	var got portArrival
	drive(t, nat, "y", `return T.waitPort("p");`, &got)
	if got.Ports != 1 || got.Sender.ID != x.Peer.ID {
		t.Errorf("frame y got %+v, want one port from frame x", got)
	}
	// A Map stays a Map: the port is the real one, not relayed through msgpack.
	var isMap bool
	drive(t, nat, "x", `T.portOf("p").postMessage(new Map([[1, "one"]])); return true;`, nil)
	drive(t, nat, "y", `return T.next("p").then((v) => v instanceof Map);`, &isMap)
	if !isMap {
		t.Errorf("a Map posted on the transferred port did not arrive as a Map")
	}
	evalIn := func(name string) func(string, any) {
		return func(expr string, out any) { drive(t, nat, name, "return "+expr+";", out) }
	}
	exchange(t, "frame x", "frame y", evalIn("x"), evalIn("y"))
}

// A page and a native Go client: the page's port is relayed to the native
// side, which posts, receives and sees the close; and a port the native
// client makes reaches the page, which sees the native side close it.
// Ports on a request throw.
func TestPortTransferPageAndNative(t *testing.T) {
	h := startHub(t, hub.Config{})
	nat := native(t, h, "native")
	ctx := ctxFor(t, 60*time.Second)
	tb := openPage(t, h, electronArgs(h))
	tb.evalPage(`T.connect("page").then(() => { T.listenPort("page", "native-port", "n"); return T.sync("page"); })`, nil)

	// page → native
	type end struct {
		port   *bus.Port
		got    chan int64
		closed chan struct{}
	}
	ends := make(chan end, 1)
	nat.On("port-here", func(e *bus.Event) {
		if len(e.Ports) != 1 {
			t.Errorf("native got %d ports", len(e.Ports))
			return
		}
		p := e.Ports[0]
		en := end{port: p, got: make(chan int64, portMessages), closed: make(chan struct{})}
		p.OnMessage(func(m *bus.PortMessage) {
			var v struct {
				I int64 `msgpack:"i"`
			}
			if err := m.Decode(&v); err != nil {
				t.Errorf("decode: %v", err)
			}
			en.got <- v.I
		})
		p.OnClose(func() { close(en.closed) })
		ends <- en
	})
	if err := nat.Conn().Flush(ctx); err != nil {
		t.Fatal(err)
	}
	tb.evalPage(`T.client("page").postMessage("port-here", "take it", [T.newPort("p")])`, nil)
	en := recv(t, ends, "the page's port at the native client")
	if !en.port.Relayed() {
		t.Errorf("the native end is not relayed")
	}
	start := time.Now()
	tb.evalPage(fmt.Sprintf(`T.burst("p", %d)`, portMessages), nil)
	for i := range portMessages {
		if v := recv(t, en.got, "a port message at the native client"); v != int64(i) {
			t.Fatalf("native got message %d, want %d", v, i)
		}
	}
	oneWay := time.Since(start)
	for i := range portMessages {
		if err := en.port.Post(ctx, map[string]int{"i": i}); err != nil {
			t.Fatal(err)
		}
	}
	var run portRun
	tb.evalPage(fmt.Sprintf(`T.received("p", %d)`, portMessages), &run)
	if run.N != portMessages || !run.InOrder {
		t.Errorf("page received %d messages, in order %v", run.N, run.InOrder)
	}
	// round trip: the native end echoes
	en.port.OnMessage(func(m *bus.PortMessage) {
		var v map[string]int64
		m.Decode(&v)
		en.port.Post(context.Background(), map[string]int64{"pong": v["ping"]})
	})
	var rtt float64
	tb.evalPage(`T.reset("p") && T.rtt("p", 100)`, &rtt)
	t.Logf("page → native: %d messages (from the page's post to the native handler) in %v; page ↔ native round trip %.3f ms",
		portMessages, oneWay.Round(time.Millisecond), rtt)
	closedAt := time.Now()
	tb.evalPage(`T.closePort("p")`, nil)
	recv(t, en.closed, "the native end to close")
	t.Logf("native saw the page close its end %v later", time.Since(closedAt).Round(time.Millisecond))

	// native → page: a port the native client makes
	np := nat.NewPort()
	nativeGot := make(chan string, 4)
	nativeClosed := make(chan struct{})
	np.OnMessage(func(m *bus.PortMessage) {
		var s string
		m.Decode(&s)
		nativeGot <- s
	})
	np.OnClose(func() { close(nativeClosed) })
	if err := nat.PostMessage(ctx, "native-port", "from native", np); err != nil {
		t.Fatal(err)
	}
	var got portArrival
	tb.evalPage(`T.waitPort("n")`, &got)
	if got.Ports != 1 || got.Message != "from native" || got.Sender.ID != nat.Peer().ID {
		t.Errorf("page got %+v, want one port with \"from native\"", got)
	}
	tb.evalPage(`T.portOf("n").postMessage("hello native") || true`, nil)
	if s := recv(t, nativeGot, "the page's message on the native port"); s != "hello native" {
		t.Errorf("native got %q", s)
	}
	if err := np.Post(ctx, map[string]int{"i": 0}); err != nil {
		t.Fatal(err)
	}
	tb.evalPage(`T.received("n", 1)`, &run)
	if err := np.Close(); err != nil {
		t.Fatal(err)
	}
	tb.evalPage(`T.closed("n")`, nil)

	// Ports go with postMessage only.
	var thrown string
	tb.evalPage(`(() => { try { T.client("page").request("x", 0, new MessageChannel().port1); return "no throw"; } catch (e) { return e.constructor.name + ": " + e.message; } })()`, &thrown)
	if len(thrown) < 10 || thrown[:10] != "TypeError:" {
		t.Errorf("a port on a request: %q, want a TypeError", thrown)
	}
}
