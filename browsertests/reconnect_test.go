package browsertests

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/ipcbus/ipcbus/hub"
	"github.com/ipcbus/ipcbus/hub/hubtest"
	"github.com/ipcbus/ipcbus/nativeclient"
	"github.com/ipcbus/ipcbus/shared/bus"
)

// statusJS records the status events of T's client name in
// globalThis.RS[name]: RS[name].arm() marks where an outage begins, and
// RS[name].back() resolves, once the client says connected again after
// the mark, with the statuses seen since and the client's peer.
const statusJS = `((name) => {
  const c = T.client(name);
  const rs = { events: [], mark: 0, waiting: null };
  c.onStatus((ev) => {
    rs.events.push(ev.status);
    if (ev.status === 'connected' && rs.waiting) { const w = rs.waiting; rs.waiting = null; w(); }
  });
  rs.arm = () => { rs.mark = rs.events.length; return true; };
  rs.back = () => new Promise((resolve) => {
    const done = () => resolve({ statuses: rs.events.slice(rs.mark), status: c.status, peer: c.peer });
    if (rs.events.slice(rs.mark).includes('connected')) done(); else rs.waiting = done;
  });
  (globalThis.RS = globalThis.RS || {})[name] = rs;
  return true;
})`

// outage is what RS[name].back() resolves with.
type outage struct {
	Statuses []string `json:"statuses"`
	Status   string   `json:"status"`
	Peer     bus.Peer `json:"peer"`
}

// A page's client rides through hub restarts on the same port, with the
// preload in the page's world and in an isolated one (its client over a
// MessagePort): its status goes disconnected, reconnecting, connected; its
// listener receives again what a native client sends once both say
// connected; its peer has the new hub's id. Once by a lame-duck shutdown,
// once by a crash.
func TestPageReconnectsAfterHubRestart(t *testing.T) {
	r := hubtest.StartRestartableWS(t, hub.Config{Web: os.DirFS(webDir)})
	h := r.Hub()
	back := make(chan struct{}, 16)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	nat, err := nativeclient.Dial(ctx, r.Addr(), &bus.Options{Name: "native", ReconnectWait: 20 * time.Millisecond,
		MaxReconnectWait: 200 * time.Millisecond, OnStatus: func(ch bus.StatusChange) {
			if ch.Status == bus.StatusConnected && ch.Attempt > 0 {
				back <- struct{}{}
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nat.Close() })

	tabs := map[string]*tab{
		"main":     openTab(t, pageURL(h, "/test/blank.html"), preload{config: configObject(h, h.Token(), `{wcid: 21, pid: 2121}`)}),
		"isolated": openTab(t, pageURL(h, "/test/blank.html"), preload{isolated: true, electron: electronArgs(h, "--ipcbus-wcid=22")}),
	}
	for name, tb := range tabs {
		tb.eval(fmt.Sprintf(`T.connect(%q)`, name), nil)
		tb.eval(fmt.Sprintf(`T.record(%q, "chat", "echo"); %s(%q)`, name, statusJS, name), nil)
	}

	for round, stop := range []func(){
		func() { r.Stop(ctxFor(t, 10*time.Second)) },
		r.Kill,
	} {
		for name, tb := range tabs {
			tb.eval(fmt.Sprintf(`RS[%q].arm()`, name), nil)
		}
		stop()
		r.Start()
		recv(t, back, "the native client reconnected")
		for name, tb := range tabs {
			var o outage
			tb.eval(fmt.Sprintf(`RS[%q].back()`, name), &o)
			state := r.Hub().State()
			n := len(o.Statuses)
			if n < 3 || o.Statuses[0] != "disconnected" || o.Statuses[n-2] != "reconnecting" || o.Statuses[n-1] != "connected" || o.Status != "connected" {
				t.Errorf("round %d, %s: statuses %v (now %s), want disconnected … reconnecting, connected", round, name, o.Statuses, o.Status)
			}
			// The id is the new hub's.
			if p, ok := peerNamed(state, name); !ok || p.ID != o.Peer.ID {
				t.Errorf("round %d, %s: client.peer %+v, the hub has %+v (found %v)", round, name, o.Peer, p, ok)
			}

		}

		// What the native client sends now that all said connected reaches
		// the pages' listeners.
		for i := range 3 {
			if err := nat.Send(ctxFor(t, 5*time.Second), "chat", fmt.Sprintf("%d-%d", round, i)); err != nil {
				t.Fatal(err)
			}
		}
		for name, tb := range tabs {
			for i := range 3 {
				var m received
				tb.eval(fmt.Sprintf(`T.take(%q, "chat")`, name), &m)
				if want := fmt.Sprintf("%d-%d", round, i); len(m.Args) != 1 || m.Args[0] != want || m.Sender.ID != nat.Peer().ID {
					t.Errorf("round %d, %s got %+v, want %q from the native client (%d)", round, name, m, want, nat.Peer().ID)
				}
			}
		}
	}
}

// peerNamed finds the peer named name in a hub's state.
func peerNamed(st hub.State, name string) (bus.Peer, bool) {
	for _, c := range st.Connections {
		for _, p := range c.Peers {
			if p.Name == name {
				return p.Peer, true
			}
		}
	}
	return bus.Peer{}, false
}
