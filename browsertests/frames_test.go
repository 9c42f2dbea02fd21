package browsertests

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ipcbus/ipcbus/hub"
	"github.com/ipcbus/ipcbus/shared/bus"
)

// One page (the preload isolated) with a same-origin iframe, a
// cross-origin one (the hub's other host name) and a sandboxed one
// (sandbox="allow-scripts": an opaque origin), all granted: by grantFrame
// before it loads, by the preload's frame origins, and by grantFrame after
// the frame asked. Each frame sends and requests to and from the top page
// and a native client; the hub shows one WebSocket carrying the page's and
// the frames' peers, the frames as renderer-frame with their own frame
// ids. An iframe nobody granted cannot connect.
func TestFramesAsPeers(t *testing.T) {
	h := startHub(t, hub.Config{})
	nat := native(t, h, "native")
	ctx := ctxFor(t, 60*time.Second)
	nat.On("ask-native", func(e *bus.Event) {
		var s string
		e.Args(&s)
		e.Request.Resolve("native answers " + s)
	})
	heard := make(chan string, 16)
	nat.On("to-native", func(e *bus.Event) {
		var s string
		e.Args(&s)
		heard <- s
	})
	if err := nat.Conn().Flush(ctx); err != nil {
		t.Fatal(err)
	}

	cross := otherOrigin(h, "")
	tb := openPage(t, h, electronArgs(h, "--ipcbus-wcid=9", "--ipcbus-frames="+cross))
	var top bus.Peer
	tb.evalPage(`T.connect("top").then((p) => { T.serve("top"); T.record("top", "to-top", "echo"); return T.sync("top").then(() => p); })`, &top)

	frame := func(name string) string { return pageURL(h, "/test/frame.html#name="+name) }
	tb.evalPage(fmt.Sprintf(`(async () => {
		await T.addFrame("same", %q, { grant: true });
		await T.addFrame("cross", %q);
		await T.addFrame("sbx", %q, { sandbox: "allow-scripts" });
		await T.addFrame("nogrant", %q);
		return true;
	})()`, frame("same"), otherOrigin(h, "/test/frame.html#name=cross"), frame("sbx"), frame("nogrant")+"&timeout=1500"), nil)

	// The sandboxed frame asks before anyone granted it: it waits. So does
	// the ungranted one, which gives up after its 1.5 s timeoutDelay.
	var ungranted frameStatus
	tb.evalPage(`T.frameStatus("nogrant")`, &ungranted)
	if ungranted.OK || ungranted.Code != "not-granted" {
		t.Errorf("ungranted frame: %+v, want connect to fail with code not-granted", ungranted)
	}
	tb.evalPage(`T.ipc.grantFrame(document.getElementById("sbx")).then(() => true)`, nil)

	frames := map[string]frameStatus{}
	for _, name := range []string{"same", "cross", "sbx"} {
		var st frameStatus
		tb.evalPage(fmt.Sprintf(`T.frameStatus(%q)`, name), &st)
		if !st.OK {
			t.Fatalf("frame %s did not connect: %+v", name, st)
		}
		frames[name] = st
	}
	if o := frames["cross"].Origin; o != cross {
		t.Errorf("cross frame origin = %q, want %q", o, cross)
	}
	if o := frames["sbx"].Origin; o != "null" {
		t.Errorf("sandboxed frame origin = %q, want null", o)
	}
	ids := map[int]string{}
	for name, st := range frames {
		p := st.Peer.Process
		if p.Type != "renderer-frame" || p.IsMainFrame || p.FrameID == 0 || p.WCID != 9 || p.PID != 4242 {
			t.Errorf("frame %s peer = %+v, want a renderer-frame with a frame id, isMainFrame false, wcid 9, pid 4242", name, st.Peer)
		}
		if other, dup := ids[p.FrameID]; dup {
			t.Errorf("frames %s and %s share frame id %d", name, other, p.FrameID)
		}
		ids[p.FrameID] = name
	}

	for name, st := range frames {
		// frame → native: send and request
		var r settled
		drive(t, nat, name, fmt.Sprintf(`T.client(%q).send("to-native", "from %s"); return T.settle(T.client(%q).request("ask-native", 0, %q));`, name, name, name, name), &r)
		if !r.OK || r.Payload != "native answers "+name || r.Sender.ID != nat.Peer().ID {
			t.Errorf("frame %s → native request = %+v", name, r)
		}
		if s := recv(t, heard, "a frame's send"); s != "from "+name {
			t.Errorf("native heard %q, want from %s", s, name)
		}
		// native → frame: request (drive itself is one) and send
		var got received
		drive(t, nat, name, fmt.Sprintf(`T.record(%q, "to-frame", "echo"); await T.sync(%q); return true;`, name, name), nil)
		if err := nat.Send(ctx, "to-frame", "native to "+name); err != nil {
			t.Fatal(err)
		}
		drive(t, nat, name, fmt.Sprintf(`return T.take(%q, "to-frame");`, name), &got)
		if got.Sender.ID != nat.Peer().ID || len(got.Args) != 1 || got.Args[0] != "native to "+name {
			t.Errorf("frame %s got %+v from the native send", name, got)
		}
		// frame → top: send and request
		drive(t, nat, name, fmt.Sprintf(`T.client(%q).send("to-top", "send from %s"); return T.settle(T.client(%q).requestTo({ id: %d }, "to-top", 0, "request from %s"));`, name, name, name, top.ID, name), &r)
		if !r.OK || r.Payload != "request from "+name || r.Sender.ID != top.ID {
			t.Errorf("frame %s → top request = %+v", name, r)
		}
		var atTop received
		tb.evalPage(`T.take("top", "to-top")`, &atTop)
		if atTop.Sender.ID != st.Peer.ID || atTop.Args[0] != "send from "+name {
			t.Errorf("top got %+v, want the send of frame %s", atTop, name)
		}
		tb.evalPage(`T.take("top", "to-top")`, &atTop)
		if atTop.Sender.ID != st.Peer.ID || !atTop.Request {
			t.Errorf("top got %+v, want the request of frame %s", atTop, name)
		}
		// top → frame: request over ctl/NAME, answered in the frame
		var answer string
		body := fmt.Sprintf(`return self.origin + " " + T.client(%q).peer.id;`, name)
		tb.evalPage(fmt.Sprintf(`T.client("top").request("ctl/%s", 0, %s).then((r) => r.payload)`, name, jsString(body)), &answer)
		if want := fmt.Sprintf("%s %d", st.Origin, st.Peer.ID); answer != want {
			t.Errorf("top's request to frame %s = %q, want %q", name, answer, want)
		}
	}

	// The hub: one WebSocket carries the top page and the three frames.
	state := queryState(t, nat)
	conn := -1
	for _, id := range []uint64{top.ID, frames["same"].Peer.ID, frames["cross"].Peer.ID, frames["sbx"].Peer.ID} {
		c := state.connOf(id)
		if c < 0 {
			t.Fatalf("queryState lacks peer %d: %+v", id, state)
		}
		if conn >= 0 && c != conn {
			t.Errorf("peer %d is on connection #%d, the top page on #%d", id, c, conn)
		}
		conn = c
	}
	ws := 0
	for _, c := range state.Connections {
		if c.Transport == "ws" {
			ws++
		}
	}
	if ws != 1 {
		t.Errorf("%d WebSocket connections, want 1: %+v", ws, state)
	}
	for _, p := range state.Connections[conn].Peers {
		want := "renderer-frame"
		if p.ID == top.ID {
			want = "renderer"
		}
		if p.Process.Type != want {
			t.Errorf("peer %s (%d) of type %q, want %q", p.Name, p.ID, p.Process.Type, want)
		}
		if strings.HasPrefix(p.Name, "nogrant") {
			t.Errorf("the ungranted frame has a peer: %+v", p)
		}
	}
}
