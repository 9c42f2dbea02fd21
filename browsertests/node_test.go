package browsertests

import (
	"bufio"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ipcbus/ipcbus/hub"
)

// startNodePeer runs testdata/node-peer.cjs: the package's Node client (the
// node.cjs web/build.sh built) on the hub's Unix socket. It returns once the
// peer's listeners and its service are live; it ends with the test.
func startNodePeer(t *testing.T, h *hub.Hub) {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("node is needed for the Node peer: %v", err)
	}
	cmd := exec.Command(node, "testdata/node-peer.cjs", filepath.Join(webDir, "node.cjs"), h.Addr("unix"))
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	ready := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if sc.Text() == "ready" {
				ready <- true
			}
		}
		close(ready)
	}()
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		stdin.Close()
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
	})
	select {
	case ok := <-ready:
		if !ok {
			t.Fatalf("the Node peer ended before it was ready: %s", stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("the Node peer was not ready within 30 s: %s", stderr.String())
	}
}

// A page and a Node process (the npm package's client over the Unix
// socket): the value table (Buffer/Uint8Array ↔ binary, Date ↔ timestamp,
// nested objects with null, a 4 KiB string, ±99999999999999) in send and
// request, both ways, and a Node service called from the page.
func TestNodeAndPage(t *testing.T) {
	h := startHub(t, hub.Config{})
	startNodePeer(t, h)
	tb := openTab(t, pageURL(h, "/test/blank.html"), preload{isolated: true, electron: electronArgs(h)})
	tb.eval(`T.connect("page")`, nil)
	var got struct {
		SendVerdict, RequestVerdict, NodeAsked, Sent, Mul any
		FromRequest, FromSend                             string
	}
	tb.eval(`(async () => {
		const c = T.client("page");
		const table = () => [new Uint8Array([1, 2, 3]), new Date(1700000000123), { a: null, b: { c: [1, null, 'x'] } }, 'x'.repeat(4096), 99999999999999, -99999999999999];
		const check = (args) => {
			const want = table();
			if (args.length !== want.length) return 'got ' + args.length + ' values';
			for (let i = 0; i < want.length; i++) {
				const a = args[i], w = want[i];
				const same = w instanceof Date ? a instanceof Date && a.getTime() === w.getTime()
					: w instanceof Uint8Array ? a instanceof Uint8Array && a.join() === w.join()
					: JSON.stringify(a) === JSON.stringify(w);
				if (!same) return 'value ' + i + ' = ' + JSON.stringify(a);
			}
			return 'ok';
		};
		const once = (ch) => new Promise((resolve) => c.once(ch, (event, ...args) => resolve(args)));
		const out = {};
		const verdict = once('node/values/verdict');
		c.send('node/values/check', ...table());
		out.sendVerdict = (await verdict)[0];
		out.requestVerdict = (await c.request('node/values/check', 5000, ...table())).payload;
		out.fromRequest = check((await c.request('node/values/get', 5000)).payload);
		const sent = once('page/values');
		out.sent = (await c.request('node/values/send', 5000, 'page/values')).payload;
		out.fromSend = check(await sent);
		c.on('page/values/check', (event, ...args) => event.request.resolve(check(args) === 'ok' ? 'page says ok' : check(args)));
		out.nodeAsked = (await c.request('node/values/ask', 5000, 'page/values/check')).payload;
		const proxy = ElectronCommonIPC.CreateIpcBusServiceProxy(c, 'nodecalc');
		await proxy.connect();
		out.mul = await proxy.call('Mul', 6, 7);
		await proxy.close();
		return out;
	})()`, &got)
	want := []struct {
		name string
		got  any
		want any
	}{
		{"page → node send", got.SendVerdict, "ok"},
		{"page → node request", got.RequestVerdict, "ok"},
		{"node → page request payload", got.FromRequest, "ok"},
		{"node → page send", got.FromSend, "ok"},
		{"node sent", got.Sent, "sent"},
		{"node → page request", got.NodeAsked, "page says ok"},
		{"page calls the Node service", got.Mul, 42.0},
	}
	for _, w := range want {
		if w.got != w.want {
			t.Errorf("%s: %v, want %v", w.name, w.got, w.want)
		}
	}
}
