package browsertests

import (
	"strings"
	"testing"
	"time"

	"github.com/ipcbus/ipcbus/hub"
	"github.com/ipcbus/ipcbus/shared/bus"
	"github.com/ipcbus/ipcbus/shared/wire"
)

// TestSpyAndPages: a native spy sees a page's sends and requests to a
// native peer (with the response's latency and outcome), and a page's own
// client.spy sees the traffic between two native peers, by its filter.
func TestSpyAndPages(t *testing.T) {
	h := startHub(t, hub.Config{})
	ctx := ctxFor(t, 60*time.Second)
	nat := native(t, h, "nat")
	nat.On("page/news", func(*bus.Event) {})
	nat.On("page/ask", func(e *bus.Event) { e.Request.Resolve("answered") })
	nat.On("native/news", func(*bus.Event) {})
	if err := nat.Conn().Flush(ctx); err != nil {
		t.Fatal(err)
	}
	other := native(t, h, "other")
	watcher := native(t, h, "watcher")
	events := make(chan bus.SpyEvent, 100)
	stop, err := watcher.Spy(ctx, bus.SpyFilter{Channels: []string{"page/**"}}, func(ev bus.SpyEvent) { events <- ev })
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	next := func(kind string) bus.SpyEvent {
		t.Helper()
		for {
			ev := recv(t, events, "a "+kind+" event")
			if ev.Channel != "" && !strings.HasPrefix(ev.Channel, "page/") {
				t.Fatalf("the spy of page/** saw %s on %s", ev.Kind, ev.Channel)
			}
			if ev.Kind == kind {
				return ev
			}
		}
	}

	tb := openTab(t, pageURL(h, "/test/blank.html"), preload{isolated: true, electron: electronArgs(h, "--ipcbus-wcid=3")})
	var page bus.Peer
	tb.eval(`T.connect("page")`, &page)
	tb.eval(`T.connect("watch")`, nil)

	tb.eval(`T.client("page").send("page/news", "from the page")`, nil)
	send := next(wire.SpySend)
	if send.From == nil || send.From.ID != page.ID || send.From.Process.Type != "renderer" || len(send.To) != 1 || send.To[0].Name != "nat" || !strings.Contains(send.Preview, "from the page") {
		t.Fatalf("the page's send as the spy saw it: %+v", send)
	}
	var answer settled
	tb.eval(`T.settle(T.client("page").request("page/ask", 5000, "q"))`, &answer)
	if !answer.OK {
		t.Fatalf("the page's request: %+v", answer)
	}
	req := next(wire.SpyRequest)
	resp := next(wire.SpyResponse)
	if req.From == nil || req.From.ID != page.ID || resp.Request != req.Request || resp.Status != "resolved" || resp.LatencyMS <= 0 || resp.From == nil || resp.From.Name != "nat" {
		t.Fatalf("the page's request as the spy saw it: %+v then %+v", req, resp)
	}

	// The page spies: it sees other → nat on native/**, not the page's own.
	tb.eval(`(async () => {
		T.spied = [];
		let sent;
		T.spiedSend = new Promise((resolve) => { sent = resolve; });
		T.stopSpy = await T.client("watch").spy({ channels: ["native/**"] }, (ev) => {
			T.spied.push(ev);
			if (ev.kind === "send") sent(ev);
		});
		return true;
	})()`, nil)
	tb.eval(`T.client("page").send("page/news", "not native")`, nil)
	if err := other.Send(ctx, "native/news", "between natives"); err != nil {
		t.Fatal(err)
	}
	var seen struct {
		Kind    string     `json:"kind"`
		Channel string     `json:"channel"`
		From    bus.Peer   `json:"from"`
		To      []bus.Peer `json:"to"`
		Preview string     `json:"preview"`
		Others  []string   `json:"others"`
	}
	tb.eval(`(async () => {
		const ev = await Promise.race([T.spiedSend, new Promise((_, reject) => setTimeout(() => reject(new Error("the page's spy saw no send within 10 s")), 10000))]);
		return { ...ev, others: T.spied.filter((e) => e.channel && !e.channel.startsWith("native/")).map((e) => e.channel) };
	})()`, &seen)
	if seen.Channel != "native/news" || seen.From.Name != "other" || len(seen.To) != 1 || seen.To[0].Name != "nat" || !strings.Contains(seen.Preview, "between natives") || len(seen.Others) != 0 {
		t.Fatalf("the page's spy saw %+v", seen)
	}
	tb.eval(`T.stopSpy(), true`, nil)
}
