package browsertests

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/ipcbus/ipcbus/hub"
	"github.com/ipcbus/ipcbus/shared/bus"
)

// maxWasmGzip is the budget of client.wasm, gzipped.
const maxWasmGzip = 1 << 20

// client.wasm stays within 1 MiB gzipped. The test also logs the figures
// of the closing note (run with -v): sizes, load time, and a page↔native
// request round trip beside a raw WebSocket echo timed in the same page.
func TestClientWasmFootprint(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(webDir, "client.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	// The budget is defined as `gzip -9 | wc -c` (Go's compress/gzip
	// compresses about 1% worse).
	cmd := exec.Command("gzip", "-9c", filepath.Join(webDir, "client.wasm"))
	gz, err := cmd.Output()
	if err != nil {
		t.Fatalf("gzip -9: %v", err)
	}
	t.Logf("client.wasm: %d bytes, %d gzipped (gzip -9)", len(raw), len(gz))
	if len(gz) > maxWasmGzip {
		t.Errorf("client.wasm is %d bytes gzipped, over the %d budget", len(gz), maxWasmGzip)
	}

	h := startHub(t, hub.Config{})
	nat := native(t, h, "native")
	nat.On("echo", func(e *bus.Event) {
		var v any
		e.Args(&v)
		e.Request.Resolve(v)
	})
	if err := nat.Conn().Flush(ctxFor(t, 5*time.Second)); err != nil {
		t.Fatal(err)
	}
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: true})
		if err != nil {
			return
		}
		defer c.CloseNow()
		for {
			typ, b, err := c.Read(r.Context())
			if err != nil {
				return
			}
			if err := c.Write(r.Context(), typ, b); err != nil {
				return
			}
		}
	}))
	defer echo.Close()

	start := time.Now()
	tb := openTab(t, pageURL(h, "/test/blank.html"), preload{isolated: true, electron: electronArgs(h)})
	ready := time.Since(start)
	tb.eval(`T.connect("page")`, nil)
	var m struct {
		Load, Bus, WS float64
		N             int
	}
	tb.eval(fmt.Sprintf(`(async () => {
		const c = T.client("page");
		const n = 300, warm = 50;
		for (let i = 0; i < warm; i++) await c.request("echo", 5000, i);
		let t0 = performance.now();
		for (let i = 0; i < n; i++) await c.request("echo", 5000, i);
		const bus = (performance.now() - t0) / n;
		const ws = new WebSocket(%q);
		ws.binaryType = 'arraybuffer';
		await new Promise((resolve, reject) => { ws.onopen = resolve; ws.onerror = reject; });
		const data = new Uint8Array(16);
		const roundTrip = () => new Promise((resolve) => { ws.onmessage = resolve; ws.send(data); });
		for (let i = 0; i < warm; i++) await roundTrip();
		t0 = performance.now();
		for (let i = 0; i < n; i++) await roundTrip();
		const raw = (performance.now() - t0) / n;
		ws.close();
		return {Load: ElectronCommonIPC.loadMillis, Bus: bus, WS: raw, N: n};
	})()`, "ws"+strings.TrimPrefix(echo.URL, "http")+"/"), &m)
	t.Logf("load: client.wasm fetched and started in %.0f ms; navigation to ready %v", m.Load, ready.Round(time.Millisecond))
	t.Logf("round trip over %d sequential calls, timed in the page: page↔native request %.3f ms, raw JS WebSocket echo %.3f ms", m.N, m.Bus, m.WS)
	if m.Bus <= 0 || m.WS <= 0 {
		t.Errorf("no round trip measured: %+v", m)
	}
}
