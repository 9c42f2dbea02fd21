package orch

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/ipcbus/ipcbus/bench/internal/proto"
)

// The browser rows: a page in headless Chromium, measured in one page run.
const (
	// BrowserWasm is the page's client.wasm (ipcbus's JS API, engine and
	// WebSocket) to a native Go worker through the hub.
	BrowserWasm = "ipcbus-wasm"
	// BrowserRaw is a plain JS WebSocket in the same page to a Go server
	// (coder/websocket, as in the hub): an echo for round trips, a sink that
	// acknowledges for one-way.
	BrowserRaw = "raw-js-ws"
)

// Chromium is the browser the bench drives: IPCBUS_CHROMIUM, or Debian's
// real binary (/usr/bin/chromium is a shell wrapper).
func Chromium() string {
	if p := os.Getenv("IPCBUS_CHROMIUM"); p != "" {
		return p
	}
	return "/usr/lib/chromium/chromium"
}

// WantsBrowser says whether the selection has the browser rows.
func WantsBrowser(systems []System) bool {
	for _, s := range systems {
		if s.Family == "browser" {
			return true
		}
	}
	return false
}

// CheckBrowser fails when the browser rows are selected and Chromium is
// not there: better at once than after minutes of other systems.
func CheckBrowser(systems []System) error {
	if !WantsBrowser(systems) {
		return nil
	}
	exe := Chromium()
	if _, err := os.Stat(exe); err != nil {
		return fmt.Errorf("the browser rows need Chromium, and there is none at %s (apt-get install chromium, or set IPCBUS_CHROMIUM; -systems without browser leaves them out): %w", exe, err)
	}
	return nil
}

// browserBench is what a browser run needs: the hub (serving the built web
// dir), the echo server (serving the page), a native worker, Chromium.
type browserBench struct {
	hub, echo, worker *proc
	hubHTTP, token    string // http://127.0.0.1:PORT and the WebSocket token
	echoHTTP          string
	browser           context.Context
	stopBrowser       func()
}

// buildWeb runs web/build.sh into e.tmp/web once.
func (e *Env) buildWeb(log io.Writer) (string, error) {
	dir := filepath.Join(e.tmp, "web")
	if _, err := os.Stat(filepath.Join(dir, "client.wasm")); err == nil {
		return dir, nil
	}
	cmd := exec.Command("sh", filepath.Join(e.benchDir, "..", "web", "build.sh"), dir)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("web/build.sh: %w", err)
	}
	return dir, nil
}

// wasmSizes returns client.wasm's size and its size after gzip -9 (the
// budget's definition; Go's compress/gzip, 1% larger, when there is no gzip).
func wasmSizes(path string) (raw, gz int, err error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, 0, err
	}
	if out, err := exec.Command("gzip", "-9c", path).Output(); err == nil {
		return len(b), len(out), nil
	}
	var buf bytes.Buffer
	w, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	w.Write(b)
	w.Close()
	return len(b), buf.Len(), nil
}

func startBrowserBench(e *Env, webDir string) (*browserBench, error) {
	b := &browserBench{}
	var err error
	if b.echo, err = startProc("browser echo", nil, e.benchproc, "echo"); err != nil {
		return nil, err
	}
	b.echoHTTP = "http://" + b.echo.hello.Addr
	sock := filepath.Join(e.tmp, "browser.sock")
	if b.hub, err = startProc("browser hub", nil, e.benchproc, "hub", "-unix", sock, "-web", webDir, "-origin", b.echoHTTP); err != nil {
		b.stop()
		return nil, err
	}
	ws, err := url.Parse(b.hub.hello.Addrs[2])
	if err != nil || ws.Host == "" {
		b.stop()
		return nil, fmt.Errorf("browser hub: bad WebSocket address %q", b.hub.hello.Addrs[2])
	}
	b.hubHTTP, b.token = "http://"+ws.Host, ws.Query().Get("token")
	// The native end: a worker on the hub's Unix socket, as ipcbus-unix's.
	if b.worker, err = startProc("browser worker 1", nil, e.benchproc, "worker", "-system", "ipcbus", "-addr", b.hub.hello.Addrs[0], "-id", "1"); err != nil {
		b.stop()
		return nil, err
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(Chromium()),
		chromedp.UserDataDir(filepath.Join(e.tmp, "chromium-profile")),
		chromedp.Flag("headless", "new"),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelBrowser := chromedp.NewContext(allocCtx)
	b.browser = ctx
	b.stopBrowser = func() { cancelBrowser(); cancelAlloc() }
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		b.stop()
		return nil, fmt.Errorf("start Chromium (%s): %w", Chromium(), err)
	}
	return b, nil
}

func (b *browserBench) stop() {
	if b.stopBrowser != nil {
		b.stopBrowser()
		b.stopBrowser = nil
	}
	for _, p := range []*proc{b.worker, b.hub, b.echo} {
		if p != nil {
			p.stop()
		}
	}
	b.worker, b.hub, b.echo = nil, nil, nil
}

// benchTab is one tab with the bench page loaded and its client connected.
type benchTab struct {
	ctx    context.Context
	cancel context.CancelFunc
	errs   *tabErrors
	drain  func() // moves what the page printed into errs
}

// tabErrors keeps the last things the page printed or threw, for errors.
type tabErrors struct{ lines []string }

func (t *tabErrors) add(s string) {
	if len(t.lines) >= 8 {
		t.lines = t.lines[1:]
	}
	t.lines = append(t.lines, s)
}

// openTab opens the bench page in a new tab, waits until its client is
// connected and returns how long client.wasm took to load and start.
func (b *browserBench) openTab(trace bool) (*benchTab, float64, error) {
	ctx, cancel := chromedp.NewContext(b.browser)
	t := &benchTab{ctx: ctx, cancel: cancel, errs: &tabErrors{}}
	lines := make(chan string, 64)
	err := chromedp.Listen(ctx, func(ev any) {
		var s string
		switch e := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			var parts []string
			for _, a := range e.Args {
				if len(a.Value) > 0 {
					parts = append(parts, string(a.Value))
				} else {
					parts = append(parts, a.Description)
				}
			}
			s = "console." + e.Type.String() + ": " + strings.Join(parts, " ")
		case *runtime.EventExceptionThrown:
			s = "exception: " + e.ExceptionDetails.Text
			if e.ExceptionDetails.Exception != nil {
				s += " " + e.ExceptionDetails.Exception.Description
			}
		default:
			return
		}
		select {
		case lines <- s:
		default:
		}
	})
	if err != nil {
		t.close()
		return nil, 0, fmt.Errorf("listen to the tab: %w", err)
	}
	// chromedp turns the Network domain on in every tab, and then every
	// WebSocket frame goes to it as an event too: ~0.3 ms more per round
	// trip, on both rows. A browser without DevTools pays nothing of it.
	if _, err := chromedp.Call(ctx, network.Disable, cdp.Empty{}); err != nil {
		t.close()
		return nil, 0, fmt.Errorf("turn the tab's Network domain off: %w", err)
	}
	t.drain = func() {
		for {
			select {
			case s := <-lines:
				t.errs.add(s)
			default:
				return
			}
		}
	}
	u := fmt.Sprintf("%s/bench/?hub=%s&token=%s", b.echoHTTP, url.QueryEscape(b.hubHTTP), url.QueryEscape(b.token))
	if trace {
		u += "&trace=1"
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(u)); err != nil {
		t.close()
		return nil, 0, fmt.Errorf("navigate to the bench page: %w", err)
	}
	var r struct {
		LoadMs   float64
		Isolated bool
	}
	if err := t.eval(`bench.start()`, 30*time.Second, &r); err != nil {
		t.close()
		return nil, 0, err
	}
	if !r.Isolated {
		t.close()
		return nil, 0, errors.New("the bench page is not cross-origin isolated (its timers would have 100 µs steps)")
	}
	return t, r.LoadMs, nil
}

func (t *benchTab) close() { t.cancel() }

// eval awaits expr in the page and decodes its value into out.
func (t *benchTab) eval(expr string, timeout time.Duration, out any) error {
	ctx, cancel := context.WithTimeout(t.ctx, timeout)
	defer cancel()
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[[]byte](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		t.drain()
		if len(t.errs.lines) > 0 {
			err = fmt.Errorf("%w; the page said: %s", err, strings.Join(t.errs.lines, " | "))
		}
		return fmt.Errorf("page: %s: %w", abbrev(expr), err)
	}
	return json.Unmarshal(raw, out)
}

// call runs bench.fn(arg) in the page.
func (t *benchTab) call(fn string, arg any, timeout time.Duration, out any) error {
	b, _ := json.Marshal(arg)
	return t.eval(fmt.Sprintf("bench.%s(%s)", fn, b), timeout, out)
}

func abbrev(s string) string {
	if len(s) > 100 {
		return s[:100] + "…"
	}
	return s
}

// A browser run is paced by the plan's counts, with twice the plan's
// budgets (a page moves some thousands of messages per second, and its
// round trips wander more than native ones) and fewer warm-up messages.
func browserWarmup(n int) int { return min(n/10, 200) }

// browserWarmUp is the budget of each warm-up round of a new tab.
const browserWarmUp = 600 * time.Millisecond

// pageReq is a round trip figure as the page reports it.
type pageReq struct {
	Count    int
	P50Us    float64
	P99Us    float64
	Segments map[string]float64
}

// runBrowser measures both browser rows in the same page runs: each run
// opens a fresh tab (a fresh client.wasm instance) and, for each payload
// size, times one-way and sequential requests through client.wasm and
// through a plain WebSocket, one after the other.
func runBrowser(p Plan, e *Env, log io.Writer) Results {
	var rs Results
	add := func(system, sc string, size int, metric string) *Result {
		r := &Result{System: system, Scenario: sc, Payload: size, Metric: metric}
		if sc == ScFootprint || p.wants(sc) {
			rs = append(rs, r)
		}
		return r
	}
	fail := func(r *Result, err error) {
		if err != nil && r.Err == "" {
			r.Err = err.Error()
			fmt.Fprintf(log, "  %s %s %s %s: %v\n", r.System, r.Scenario, sizeLabel(r.Payload), r.Metric, err)
		}
	}
	wasmBytes, wasmGzip := add(BrowserWasm, ScFootprint, 0, MWasmBytes), add(BrowserWasm, ScFootprint, 0, MWasmGzip)
	load := add(BrowserWasm, ScFootprint, 0, MLoad)
	type row struct{ ow, owMB, p50, p99 *Result }
	rows := map[string]map[int]*row{BrowserWasm: {}, BrowserRaw: {}}
	var all []*Result
	for _, size := range p.Payloads {
		for _, sys := range []string{BrowserWasm, BrowserRaw} {
			r := &row{add(sys, ScOneWay, size, MMsgs), add(sys, ScOneWay, size, MMB), add(sys, ScReqSeq, size, MP50), add(sys, ScReqSeq, size, MP99)}
			rows[sys][size] = r
			all = append(all, r.ow, r.owMB, r.p50, r.p99)
		}
	}
	all = append(all, load) // what each page run measures
	failAll := func(err error) Results {
		for _, r := range append(all, wasmBytes, wasmGzip) {
			fail(r, err)
		}
		return rs
	}

	webDir, err := e.buildWeb(log)
	if err != nil {
		return failAll(err)
	}
	raw, gz, err := wasmSizes(filepath.Join(webDir, "client.wasm"))
	if err != nil {
		return failAll(err)
	}
	wasmBytes.Values, wasmGzip.Values = []float64{float64(raw)}, []float64{float64(gz)}
	b, err := startBrowserBench(e, webDir)
	if err != nil {
		return failAll(err)
	}
	defer b.stop()

	for run := range p.Runs {
		t, loadMs, err := b.openTab(false)
		if err != nil {
			for _, r := range all {
				fail(r, fmt.Errorf("run %d: %w", run+1, err))
			}
			continue
		}
		load.Values = append(load.Values, loadMs)
		if err := b.warmUp(t, p); err != nil {
			fmt.Fprintf(log, "  browser warm-up: %v\n", err)
		}
		for _, size := range p.Payloads {
			t0 := time.Now()
			for _, sys := range []string{BrowserWasm, BrowserRaw} {
				r := rows[sys][size]
				if p.wants(ScOneWay) {
					rate, n, err := b.oneWay(t, p, sys, size)
					if fail(r.ow, err); err == nil {
						r.ow.Values, r.ow.Samples = append(r.ow.Values, rate), append(r.ow.Samples, n)
						r.owMB.Values = append(r.owMB.Values, rate*float64(size)/1e6)
					}
					r.owMB.Err, r.owMB.Samples = r.ow.Err, r.ow.Samples
				}
				if p.wants(ScReqSeq) {
					q, err := b.requests(t, p, sys, size)
					if fail(r.p50, err); err == nil {
						r.p50.Values, r.p50.Samples = append(r.p50.Values, q.P50Us), append(r.p50.Samples, q.Count)
						r.p99.Values = append(r.p99.Values, q.P99Us)
					}
					r.p99.Err, r.p99.Samples = r.p50.Err, r.p50.Samples
				}
			}
			w, j := rows[BrowserWasm][size], rows[BrowserRaw][size]
			fmt.Fprintf(log, "  %-16s %-7s run %d: one-way %s msgs/s (raw JS %s), p50 %s µs (raw JS %s) (%.1fs)\n",
				"browser", sizeLabel(size), run+1, human(last(w.ow)), human(last(j.ow)), human(last(w.p50)), human(last(j.p50)), time.Since(t0).Seconds())
		}
		t.close()
	}
	if p.BrowserTrace {
		b.trace(p, log)
	}
	fmt.Fprintf(log, "  %-16s client.wasm %s B, %s B gzipped, loaded in %s ms\n", "browser", human(float64(raw)), human(float64(gz)), human(load.Median()))
	return rs
}

func last(r *Result) float64 {
	if len(r.Values) == 0 {
		return 0
	}
	return r.Values[len(r.Values)-1]
}

// warmUp runs a round of each kind in a new tab and throws it away: V8
// compiles client.wasm's hot code with its optimizing tier only after a
// while, in the background (the first second of requests of a fresh
// instance take twice as long or more). The bench measures the steady
// state, as a renderer that has been running a while sees it.
func (b *browserBench) warmUp(t *benchTab, p Plan) error {
	wp := p
	wp.Budget = browserWarmUp
	if p.Smoke {
		wp.Budget = 150 * time.Millisecond
	}
	wp.SeqN = map[int]int{}
	for k := range p.SeqN {
		wp.SeqN[k] = 100000 // the budget ends it
	}
	size := p.Payloads[0]
	for _, sys := range []string{BrowserWasm, BrowserRaw} {
		if _, _, err := b.oneWay(t, wp, sys, size); err != nil {
			return err
		}
		if _, err := b.requests(t, wp, sys, size); err != nil {
			return err
		}
	}
	return nil
}

// oneWay sends from the page, with the bench's credit window, to the
// native worker (through client.wasm and the hub) or to the echo server's
// sink (through a plain WebSocket), and returns the rate counted at the
// receiver and the messages it counted.
func (b *browserBench) oneWay(t *benchTab, p Plan, sys string, size int) (float64, int, error) {
	n := p.OneWayN[size]
	window, every := p.window(size)
	budget := 2 * p.budget(size)
	warm := browserWarmup(n)
	timeout := p.Timeout
	if sys == BrowserRaw {
		var r struct {
			Count           int
			FirstNs, LastNs int64
		}
		arg := map[string]any{"url": strings.Replace(b.echoHTTP, "http", "ws", 1), "n": n, "size": size, "window": window,
			"ackEvery": every, "warmup": warm, "budgetMs": ms(budget), "timeoutMs": ms(timeout)}
		if err := t.call("rawOneWay", arg, p.grace(), &r); err != nil {
			return 0, 0, err
		}
		if r.LastNs <= r.FirstNs || r.Count <= 0 {
			return 0, 0, fmt.Errorf("no messages timed (%d counted)", r.Count)
		}
		return float64(r.Count) / (float64(r.LastNs-r.FirstNs) / 1e9), r.Count, nil
	}
	ch, ack, probe := channels()
	seq, err := b.worker.send(proto.Command{Op: proto.OpRecv, Ch: ch, AckCh: ack, ProbeCh: probe,
		N: n, Size: size, Warmup: warm, AckEvery: every, TimeoutMS: ms(timeout)})
	if err != nil {
		return 0, 0, err
	}
	if _, err := b.worker.await(seq, proto.PhaseReady, p.grace()); err != nil {
		return 0, 0, err
	}
	arg := map[string]any{"ch": ch, "ackCh": ack, "probeCh": probe, "receiver": 1, "n": n, "size": size,
		"window": window, "budgetMs": ms(budget), "timeoutMs": ms(timeout)}
	var sent struct{ Count int }
	serr := t.call("busOneWay", arg, p.grace(), &sent)
	rr, werr := b.worker.await(seq, proto.PhaseDone, p.grace())
	if err := errors.Join(serr, werr); err != nil {
		return 0, 0, err
	}
	switch {
	case rr.Err != "":
		return 0, 0, fmt.Errorf("receiver: %s", rr.Err)
	case rr.Bad > 0:
		return 0, 0, fmt.Errorf("receiver: %d payloads of the wrong size", rr.Bad)
	case rr.Dropped > 0:
		return 0, 0, fmt.Errorf("receiver: %d dropped", rr.Dropped)
	case rr.LastNS <= rr.FirstNS || rr.Count <= 0:
		return 0, 0, fmt.Errorf("no messages timed (%d counted)", rr.Count)
	}
	return float64(rr.Count) / (float64(rr.LastNS-rr.FirstNS) / 1e9), rr.Count, nil
}

// requests times sequential round trips from the page: requests answered
// by the native worker, or echoes from the echo server.
func (b *browserBench) requests(t *benchTab, p Plan, sys string, size int) (pageReq, error) {
	var q pageReq
	arg := map[string]any{"size": size, "n": p.SeqN[size], "warmup": max(p.SeqN[size]/10, 5), "budgetMs": ms(2 * p.budget(size))}
	if sys == BrowserRaw {
		arg["url"] = strings.Replace(b.echoHTTP, "http", "ws", 1)
		err := t.call("rawRequests", arg, p.grace(), &q)
		return q, err
	}
	ch, _, _ := channels()
	if rr, err := b.worker.call(proto.Command{Op: proto.OpServe, Ch: ch, TimeoutMS: ms(p.Timeout)}, p.grace()); err != nil {
		return q, err
	} else if rr.Err != "" {
		return q, fmt.Errorf("responder: %s", rr.Err)
	}
	defer b.worker.call(proto.Command{Op: proto.OpUnserve, Ch: ch}, p.grace())
	arg["ch"] = ch
	fn := "busRequests"
	if sys == rawThroughHub {
		fn = "hubRequests"
	}
	if err := t.call(fn, arg, p.grace(), &q); err != nil {
		return q, err
	}
	if q.Count < minRequests {
		return q, fmt.Errorf("only %d requests answered", q.Count)
	}
	return q, nil
}

// traceSegments names the segments of a round trip the page times with
// ?trace (bench/internal/procs/page/boot.js), in order.
var traceSegments = []struct{ key, what string }{
	{"callToSend", "JS request() until the engine's ws.send"},
	{"sendToReturn", "ws.send until request() returns"},
	{"sendToArrive", "ws.send until the answer's message event runs (network, hub, responder)"},
	{"eventQueued", "  of which the event waited in the page's task queue"},
	{"onmessage", "the engine's onmessage handler (Go, until it returns to JS)"},
	{"handledToResolved", "onmessage's return until the await resumes (microtasks, JS API)"},
}

// rawThroughHub names, in the trace, requests the page makes in plain JS
// over a WebSocket to the hub (its protocol spoken by hand, no client.wasm)
// to the same worker: what the hub and the worker cost, apart from the
// client.
const rawThroughHub = "raw JS via the hub"

// trace opens a tab with the segment timers on and logs the median of each
// segment of a round trip, for client.wasm and the plain WebSocket, and
// the round trip of plain JS requests through the hub.
func (b *browserBench) trace(p Plan, log io.Writer) {
	t, _, err := b.openTab(true)
	if err != nil {
		fmt.Fprintf(log, "  browser trace: %v\n", err)
		return
	}
	defer t.close()
	b.warmUp(t, p)
	for _, size := range p.Payloads {
		fmt.Fprintf(log, "  browser round trip at %s, median µs per segment (traced run):\n", sizeLabel(size))
		var qs [2]pageReq
		for i, sys := range []string{BrowserWasm, BrowserRaw} {
			q, err := b.requests(t, p, sys, size)
			if err != nil {
				fmt.Fprintf(log, "    %s: %v\n", sys, err)
				return
			}
			qs[i] = q
		}
		fmt.Fprintf(log, "    %-78s %12s %12s\n", "segment", BrowserWasm, BrowserRaw)
		for _, s := range traceSegments {
			fmt.Fprintf(log, "    %-78s %12.1f %12.1f\n", s.what, qs[0].Segments[s.key], qs[1].Segments[s.key])
		}
		fmt.Fprintf(log, "    %-78s %12.1f %12.1f\n", "whole round trip, p50", qs[0].P50Us, qs[1].P50Us)
		if q, err := b.requests(t, p, rawThroughHub, size); err != nil {
			fmt.Fprintf(log, "    %s: %v\n", rawThroughHub, err)
		} else {
			fmt.Fprintf(log, "    %-78s %12.1f\n", "plain JS requests through the hub to the same worker, p50", q.P50Us)
		}
	}
}
