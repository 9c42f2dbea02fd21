package browsertests

import (
	"errors"
	"testing"
	"time"

	"github.com/ipcbus/ipcbus/hub"
	"github.com/ipcbus/ipcbus/shared/bus"
)

// hubState is the part of a queryState answer the tests read.
type hubState struct {
	Connections []struct {
		Transport string `json:"transport"`
		Peers     []struct {
			bus.Peer
			Subscriptions []string `json:"subscriptions"`
		} `json:"peers"`
	} `json:"connections"`
}

func (s hubState) peer(id uint64) (bus.Peer, string, bool) {
	for _, c := range s.Connections {
		for _, p := range c.Peers {
			if p.ID == id {
				return p.Peer, c.Transport, true
			}
		}
	}
	return bus.Peer{}, "", false
}

// Two renderers, one with the preload in the main world (configured by an
// object), one isolated (configured by argv), talk through the hub; a
// page's queryState lists both and the native peer with their identities.
func TestTwoPagesAndQueryState(t *testing.T) {
	h := startHub(t, hub.Config{})
	nat := native(t, h, "native")
	a := openTab(t, pageURL(h, "/test/blank.html"), preload{config: configObject(h, h.Token(), `{wcid: 11, pid: 111}`)})
	b := openTab(t, pageURL(h, "/test/blank.html"), preload{isolated: true, electron: electronArgs(h, "--ipcbus-wcid=12")})
	var alice, bob bus.Peer
	a.eval(`T.connect("alice")`, &alice)
	b.eval(`T.connect("bob")`, &bob)

	b.eval(`T.record("bob", "chat", "echo"); T.sync("bob")`, nil)
	a.eval(`T.client("alice").send("chat", "hi bob")`, nil)
	var m received
	b.eval(`T.take("bob", "chat")`, &m)
	if m.Sender.ID != alice.ID || len(m.Args) != 1 || m.Args[0] != "hi bob" {
		t.Errorf("bob got %+v, want \"hi bob\" from alice", m)
	}
	var r settled
	a.eval(`T.settle(T.client("alice").request("chat", 0, "ping"))`, &r)
	if !r.OK || r.Payload != "ping" || r.Sender.ID != bob.ID {
		t.Errorf("alice's request = %+v, want \"ping\" echoed by bob", r)
	}

	var state hubState
	a.eval(`T.client("alice").request(ElectronCommonIPC.IPCBUS_CHANNEL_QUERY_STATE, 0).then((r) => T.describe(r.payload))`, &state)
	for _, want := range []struct {
		peer      bus.Peer
		typ       string
		wcid, pid int
		transport string
	}{
		{alice, "renderer", 11, 111, "ws"},
		{bob, "renderer", 12, 4242, "ws"},
		{nat.Peer(), "node", 0, nat.Peer().Process.PID, "unix"},
	} {
		p, transport, ok := state.peer(want.peer.ID)
		if !ok {
			t.Errorf("queryState lacks %s (%d): %+v", want.peer.Name, want.peer.ID, state)
			continue
		}
		if p.Name != want.peer.Name || p.Process.Type != want.typ || p.Process.WCID != want.wcid || p.Process.PID != want.pid || transport != want.transport {
			t.Errorf("queryState has %+v over %s, want %s of type %s, wcid %d, pid %d over %s", p, transport, want.peer.Name, want.typ, want.wcid, want.pid, want.transport)
		}
	}
}

// A request with timeoutDelay 0 gets electron-common-ipc's default 2 s, then
// rejects with err 'timeout' and the requester itself as event.sender.
func TestRequestDefaultTimeout(t *testing.T) {
	h := startHub(t, hub.Config{})
	nat := native(t, h, "slow")
	heard := make(chan struct{}, 1)
	nat.On("slow", func(*bus.Event) { heard <- struct{}{} }) // never answers
	if err := nat.Conn().Flush(ctxFor(t, 5*time.Second)); err != nil {
		t.Fatal(err)
	}
	tb := openTab(t, pageURL(h, "/test/blank.html"), preload{isolated: true, electron: electronArgs(h)})
	var peer bus.Peer
	tb.eval(`T.connect("page")`, &peer)
	var r settled
	tb.eval(`T.settle(T.client("page").request("slow", 0, "x"))`, &r)
	recv(t, heard, "the request at the responder")
	if r.OK || r.Err != "timeout" || r.Sender.ID != peer.ID || r.Channel != "slow" {
		t.Errorf("request = %+v, want err 'timeout' with the page as sender", r)
	}
	if r.MS < 1900 || r.MS > 4000 {
		t.Errorf("timed out after %.0f ms, want about 2000", r.MS)
	}
}

// A tab that closes fails at once the requests it was answering, for a
// native requester and for a page that would wait forever.
func TestClosingTabFailsPendingRequests(t *testing.T) {
	h := startHub(t, hub.Config{})
	nat := native(t, h, "native")
	a := openTab(t, pageURL(h, "/test/blank.html"), preload{isolated: true, electron: electronArgs(h)})
	b := openTab(t, pageURL(h, "/test/blank.html"), preload{isolated: true, electron: electronArgs(h)})
	a.eval(`T.connect("alice")`, nil)
	b.eval(`T.connect("bob")`, nil)
	b.eval(`T.record("bob", "hang", "none"); T.sync("bob")`, nil)

	nativeErr := make(chan error, 1)
	go func() {
		_, err := nat.Request(ctxFor(t, 30*time.Second), "hang", "from native")
		nativeErr <- err
	}()
	a.eval(`T.pending = T.settle(T.client("alice").request("hang", -1, "from alice")); true`, nil)
	var m received
	b.eval(`T.take("bob", "hang")`, &m)
	b.eval(`T.take("bob", "hang")`, &m)

	closed := time.Now()
	b.close()
	err := recv(t, nativeErr, "the native request to fail")
	if !errors.Is(err, bus.ErrResponderGone) {
		t.Errorf("native request: %v, want ErrResponderGone", err)
	}
	var r settled
	a.eval(`T.pending`, &r)
	if r.OK || r.Code != "responder-gone" {
		t.Errorf("alice's request = %+v, want code responder-gone", r)
	}
	if d := time.Since(closed); d > 1500*time.Millisecond {
		t.Errorf("requests failed %v after the tab closed, want at once", d)
	}
}

// close settles the client's pending requests at once with code 'closed',
// and the client can connect again as a new peer.
func TestCloseFailsPendingRequests(t *testing.T) {
	h := startHub(t, hub.Config{})
	nat := native(t, h, "silent")
	nat.On("silent", func(*bus.Event) {})
	if err := nat.Conn().Flush(ctxFor(t, 5*time.Second)); err != nil {
		t.Fatal(err)
	}
	tb := openTab(t, pageURL(h, "/test/blank.html"), preload{isolated: true, electron: electronArgs(h)})
	var first, second bus.Peer
	tb.eval(`T.connect("page")`, &first)
	var r struct {
		Pending settled  `json:"pending"`
		Peer    bus.Peer `json:"peer"`
	}
	tb.eval(`(async () => {
		const c = T.client("page");
		const pending = T.settle(c.request("silent", -1));
		await c.close();
		const result = await pending;
		await c.connect({ timeoutDelay: 10000 });
		return { pending: result, peer: c.peer };
	})()`, &r)
	if r.Pending.OK || r.Pending.Code != "closed" || r.Pending.MS > 1000 {
		t.Errorf("request pending at close = %+v, want code 'closed' at once", r.Pending)
	}
	second = r.Peer
	if second.ID == 0 || second.ID == first.ID {
		t.Errorf("peer after reconnecting = %+v, want a new peer (was %d)", second, first.ID)
	}
}
