package orch

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// DocSection is the generated part of docs/performance.md: the machine,
// the chart, the targets and every table.
func DocSection(rs Results, systems []System, p Plan, info *Info) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Run of %s on %d CPUs (%s), %s, Node %s. Load average %s before the run and %s after it; the run took %s. ",
		info.Start.UTC().Format(time.DateOnly), info.CPUs, info.CPU, info.Go, info.Node,
		info.LoadStart, info.LoadEnd, info.Took.Round(time.Second))
	fmt.Fprintf(&b, "Each figure is the median of %d runs; each run moves up to the count in the plan or stops after %v of measuring (%v at 64 KiB, %v at 1 MiB). Raw figures: [`bench/results/results.csv`](../bench/results/results.csv).\n\n", p.Runs, p.Budget, p.budget(64*kib), p.budget(mib))
	b.WriteString("![ipcbus beside electron-common-ipc, NATS and the raw-socket ceiling](../bench/results/chart.svg)\n\n")
	b.WriteString("### Targets (issue 13; issue 11 for the Node client)\n\n| target | status | measured |\n|---|---|---|\n")
	for _, t := range Targets(rs) {
		status := t.Status
		switch status {
		case "met":
			status = "**met**"
		case "missed":
			status = "**missed**"
		}
		fmt.Fprintf(&b, "| %s | %s | %s |\n", t.Name, status, t.Detail)
	}
	if WantsBrowser(systems) {
		fmt.Fprintf(&b, "\nThe browser rows are one headless Chromium page (%s) per run, its client.wasm and a plain JS WebSocket measured side by side in it: `%s` is the page's ipcbus client (client.wasm and the JS API) to a native Go worker through the hub, `%s` a WebSocket of the same page to a Go server (coder/websocket, as in the hub) that echoes for round trips and acknowledges for one-way. Each page run opens a fresh tab and warms it up for about two seconds first (V8 compiles client.wasm's hot code with its optimizing tier in the background); its runs have twice the budget of the others; chromedp's Network domain is off in the tab (it would add ~0.3 ms to every round trip of both rows).\n", info.Chromium, BrowserWasm, BrowserRaw)
	}
	for _, t := range payloadTables {
		if g := t.grid(rs, systems, p.Payloads); g != nil {
			fmt.Fprintf(&b, "\n### %s\n\n", t.Title)
			g.markdown(&b)
		}
	}
	if g := bigGrid(rs, p); g != nil {
		fmt.Fprintf(&b, "\n### %s\n\n", bigTitle)
		g.markdown(&b)
	}
	if g := connGrid(rs, systems); len(g) > 1 {
		fmt.Fprintf(&b, "\n### Connect time and hub memory (%s idle connections, growth of the hub process's RSS)\n\n", thousands(p.IdleN))
		g.markdown(&b)
	}
	if g := browserGrid(rs); g != nil {
		b.WriteString("\n### Browser: client.wasm\n\n")
		g.markdown(&b)
	}
	if failed := rs.Failed(); len(failed) > 0 {
		b.WriteString("\nFailed figures (shown as FAIL above):\n\n")
		for _, r := range failed {
			fmt.Fprintf(&b, "- %s, %s %s %s: %s\n", r.System, r.Scenario, sizeLabel(r.Payload), r.Metric, strings.ReplaceAll(r.Err, "\n", " "))
		}
	}
	return b.String()
}

// thousands writes n with thousands separators: 10,000.
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
