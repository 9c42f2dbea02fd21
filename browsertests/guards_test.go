package browsertests

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/ipcbus/ipcbus/hub"
	"github.com/ipcbus/ipcbus/shared/bus"
)

// The preload trusts nothing a port says beyond the session ops: a script
// speaking the port protocol raw cannot choose its peer's process, use the
// host's port ops, answer requests made to another peer, or (from a frame)
// grant frames.
func TestPortProtocolGuards(t *testing.T) {
	h := startHub(t, hub.Config{})
	nat := native(t, h, "native")
	tb := openPage(t, h, electronArgs(h, "--ipcbus-wcid=5"))
	tb.evalPage(fmt.Sprintf(`T.connect("victim").then(() => { T.record("victim", "victim", "none"); return T.addFrame("f", %q, { grant: true }); })`, pageURL(h, "/test/frame.html#name=f")), nil)
	var f frameStatus
	tb.evalPage(`T.frameStatus("f")`, &f)
	if !f.OK {
		t.Fatalf("frame: %+v", f)
	}

	// A request the victim receives and does not answer; the raw port
	// tries every request handle it can guess.
	pending := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
		defer cancel()
		_, err := nat.Request(ctx, "victim", "x")
		pending <- err
	}()
	tb.evalPage(`T.take("victim", "victim")`, nil)

	// A relayed port of the page's; the raw port tries to post on it and
	// to close it, by every handle it can guess.
	portMsgs := make(chan string, 16)
	portClosed := make(chan struct{})
	nat.On("port-here", func(e *bus.Event) {
		for _, p := range e.Ports {
			p.OnMessage(func(m *bus.PortMessage) {
				var s string
				m.Decode(&s)
				portMsgs <- s
			})
			p.OnClose(func() { close(portClosed) })
		}
	})
	if err := nat.Conn().Flush(ctxFor(t, 5*time.Second)); err != nil {
		t.Fatal(err)
	}
	tb.evalPage(`T.client("victim").postMessage("port-here", null, [T.newPort("p")])`, nil)
	tb.evalPage(`T.portOf("p").postMessage("first") || true`, nil)
	if s := recv(t, portMsgs, "the page's first port message"); s != "first" {
		t.Fatalf("native got %q on the port", s)
	}

	var got struct {
		Peer     bus.Peer `json:"peer"`
		PortPost any      `json:"portPost"`
		Unknown  any      `json:"unknown"`
	}
	tb.evalPage(`(async () => {
		const raw = await T.rawPort("page");
		await raw.ready;
		raw.post([{ op: "connect", seq: 1, client: 1, name: "raw", process: { type: "main", pid: 1, frameid: 99 } }]);
		const c = await raw.reply(1);
		const ops = [{ op: "portPost", seq: 2, port: 1, data: new Uint8Array([0xa3, 0x62, 0x61, 0x64]) }, { op: "evil", seq: 3 }];
		for (let h = -8; h <= 8; h++) ops.push({ op: "portPost", port: h, data: new Uint8Array([0xa3, 0x62, 0x61, 0x64]) }, { op: "portClose", port: h });
		for (let req = 1; req <= 200; req++) ops.push({ op: "resolve", client: 1, req, value: new Uint8Array([0xa3, 0x62, 0x61, 0x64]) });
		raw.post(ops);
		return { peer: c.value && c.value.peer, portPost: (await raw.reply(2)).error, unknown: (await raw.reply(3)).error };
	})()`, &got)
	if p := got.Peer.Process; got.Peer.Name != "raw" || p.Type != "renderer" || p.WCID != 5 || p.FrameID != 0 || !p.IsMainFrame {
		t.Errorf("raw peer = %+v, want the renderer's identity whatever connect said", got.Peer)
	}
	if got.PortPost == nil || got.Unknown == nil {
		t.Errorf("portPost and an unknown op from a port: %v, %v; want both refused", got.PortPost, got.Unknown)
	}
	if err := recv(t, pending, "the victim's request"); !errors.Is(err, bus.ErrTimeout) {
		t.Errorf("request to the victim: %v, want a timeout (nobody else may answer it)", err)
	}
	tb.evalPage(`T.portOf("p").postMessage("second") || true`, nil)
	if s := recv(t, portMsgs, "the page's second port message"); s != "second" {
		t.Errorf("native got %q on the page's port, want only the page's own messages", s)
	}
	select {
	case <-portClosed:
		t.Errorf("the raw port closed the page's port")
	default:
	}

	// A frame cannot grant frames.
	var refused any
	drive(t, nat, "f", `const raw = await T.rawPort("frame"); await raw.ready;
		raw.post([{ op: "grantFrame", seq: 1, token: "00112233445566778899aabbccddeeff" }]);
		return (await raw.reply(1)).error || null;`, &refused)
	if refused == nil {
		t.Errorf("grantFrame from a frame's port was accepted")
	}
}

// Services and proxies work over the ports as they do in the preload: a
// page's service (its client over the page's port) is called by a proxy in
// a frame and by a Go proxy.
func TestServiceOverPorts(t *testing.T) {
	h := startHub(t, hub.Config{})
	nat := native(t, h, "native")
	ctx := ctxFor(t, 30*time.Second)
	tb := openPage(t, h, electronArgs(h))
	tb.evalPage(fmt.Sprintf(`(async () => {
		await T.connect("page");
		const svc = ElectronCommonIPC.CreateIpcBusService(T.client("page"), "pagesvc", { add(a, b) { return a + b; }, where() { return "page"; } });
		svc.start();
		return T.addFrame("f", %q, { grant: true });
	})()`, pageURL(h, "/test/frame.html#name=f")), nil)
	var f frameStatus
	tb.evalPage(`T.frameStatus("f")`, &f)
	if !f.OK {
		t.Fatalf("frame: %+v", f)
	}
	var sum float64
	drive(t, nat, "f", `const p = ElectronCommonIPC.CreateIpcBusServiceProxy(T.client("f"), "pagesvc", { timeoutDelay: 5000 });
		await p.connect();
		return p.call("add", 2, 3);`, &sum)
	if sum != 5 {
		t.Errorf("the frame's proxy: add(2, 3) = %v", sum)
	}
	gp := bus.NewServiceProxy(nat, "pagesvc", &bus.ServiceProxyOptions{Timeout: 5 * time.Second})
	t.Cleanup(func() { gp.Close() })
	if err := gp.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	resp, err := gp.Call(ctx, "where")
	var where string
	if err == nil {
		err = resp.Decode(&where)
	}
	if err != nil || where != "page" {
		t.Errorf("the Go proxy: where() = %q, %v", where, err)
	}
}
