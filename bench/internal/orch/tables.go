package orch

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

type tableSpec struct {
	Scenario, Metric, Title string
}

var payloadTables = []tableSpec{
	{ScOneWay, MMsgs, "One-way 1 → 1: messages/s counted at the receiver"},
	{ScOneWay, MMB, "One-way 1 → 1: MB/s of payload at the receiver (1 MB = 10⁶ B)"},
	{ScOneWay, MCPU, "One-way 1 → 1: CPU time per message, µs, of all the system's processes (hub + sender + receiver)"},
	{ScOneWay, MCPUHub, "One-way 1 → 1: CPU time per message in the hub (broker, server, relay) alone, µs"},
	{ScFanOut, MMsgs, "Fan-out 1 → 4: messages/s delivered, summed over the 4 receivers"},
	{ScFanOut, MMB, "Fan-out 1 → 4: MB/s delivered, summed over the 4 receivers"},
	{ScReqSeq, MP50, "Sequential request round trip: p50, µs (echoes the payload)"},
	{ScReqSeq, MP99, "Sequential request round trip: p99, µs"},
	{ScReqPar, MReqs, "64 requests in flight: requests/s"},
}

// The rows that divide ipcbus's figure by another system's.
var ratioRows = [][2]string{
	{"ipcbus-unix", "eci-unix"},
	{"ipcbus-unix", "raw-relay-unix"},
	{"ipcbus-unix", "nats-tcp"},
	{"ipcbus-fed-unix", "ipcbus-unix"},
	{"ipcbus-tcp", "eci-tcp-nodelay"},
	{BrowserWasm, BrowserRaw},
}

// grid is a table as cells; row 0 is the header.
type grid [][]string

func cell(r *Result) string {
	switch {
	case r == nil:
		return "–"
	case r.Err != "":
		return "FAIL"
	case r.Dropped > 0:
		return human(r.Median()) + fmt.Sprintf(" (%d dropped)", r.Dropped)
	}
	return human(r.Median())
}

func ratio(a, b *Result) string {
	if a == nil || b == nil || !a.OK() || !b.OK() || b.Median() == 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f×", a.Median()/b.Median())
}

// grid is the table of t: a row per system that has a figure in it (the
// browser rows have none for fan-out, say), then the ratio rows that have
// one. It is nil when no system has a figure.
func (t tableSpec) grid(rs Results, systems []System, payloads []int) grid {
	head := []string{"system"}
	for _, p := range payloads {
		head = append(head, sizeLabel(p))
	}
	g := grid{head}
	for _, s := range systems {
		row := []string{s.Name}
		some := false
		for _, p := range payloads {
			r := rs.Get(s.Name, t.Scenario, p, t.Metric)
			some = some || r != nil
			row = append(row, cell(r))
		}
		if some {
			g = append(g, row)
		}
	}
	if len(g) == 1 {
		return nil
	}
	for _, rr := range ratioRows {
		if !hasSystem(systems, rr[0]) || !hasSystem(systems, rr[1]) {
			continue
		}
		row := []string{rr[0] + " ÷ " + rr[1]}
		some := false
		for _, p := range payloads {
			c := ratio(rs.Get(rr[0], t.Scenario, p, t.Metric), rs.Get(rr[1], t.Scenario, p, t.Metric))
			some = some || c != "–"
			row = append(row, c)
		}
		if some {
			g = append(g, row)
		}
	}
	return g
}

// browserGrid is client.wasm's size and load time.
func browserGrid(rs Results) grid {
	get := func(metric string) *Result { return rs.Get(BrowserWasm, ScFootprint, 0, metric) }
	if get(MWasmBytes) == nil {
		return nil
	}
	return grid{
		{"client.wasm", "value"},
		{"size, bytes", cell(get(MWasmBytes))},
		{"gzip -9, bytes", cell(get(MWasmGzip))},
		{"load, ms (fetch, compile, start; median of the page runs)", cell(get(MLoad))},
	}
}

// connGrid is connect time and idle memory, one row per system that has
// either.
func connGrid(rs Results, systems []System) grid {
	g := grid{{"system", "connect, median µs", "hub memory, B per idle connection"}}
	for _, s := range systems {
		conn, mem := rs.Get(s.Name, ScConnect, 0, MConnect), rs.Get(s.Name, ScIdle, 0, MMem)
		if conn == nil && mem == nil {
			continue
		}
		g = append(g, []string{s.Name, cell(conn), cell(mem)})
	}
	return g
}

func hasSystem(systems []System, name string) bool {
	for _, s := range systems {
		if s.Name == name {
			return true
		}
	}
	return false
}

// text writes g with padded columns.
func (g grid) text(w io.Writer) {
	width := make([]int, len(g[0]))
	for _, row := range g {
		for i, c := range row {
			width[i] = max(width[i], utf8.RuneCountInString(c))
		}
	}
	for _, row := range g {
		var b strings.Builder
		for i, c := range row {
			pad := strings.Repeat(" ", width[i]-utf8.RuneCountInString(c))
			if i == 0 {
				b.WriteString(c + pad)
			} else {
				b.WriteString("  " + pad + c)
			}
		}
		fmt.Fprintln(w, b.String())
	}
}

// markdown writes g as a Markdown table, numbers right-aligned.
func (g grid) markdown(w io.Writer) {
	for i, row := range g {
		fmt.Fprintf(w, "| %s |\n", strings.Join(row, " | "))
		if i == 0 {
			seps := make([]string, len(row))
			for j := range seps {
				seps[j] = "---:"
			}
			seps[0] = "---"
			fmt.Fprintf(w, "|%s|\n", strings.Join(seps, "|"))
		}
	}
}

// PrintTables writes every table, the targets and the failures as text.
func PrintTables(w io.Writer, rs Results, systems []System, p Plan) {
	for _, t := range payloadTables {
		if g := t.grid(rs, systems, p.Payloads); g != nil {
			fmt.Fprintf(w, "\n%s\n", t.Title)
			g.text(w)
		}
	}
	if g := bigGrid(rs, p); g != nil {
		fmt.Fprintf(w, "\n%s\n", bigTitle)
		g.text(w)
	}
	if g := connGrid(rs, systems); len(g) > 1 {
		fmt.Fprintf(w, "\nConnect time and hub memory (%s idle connections, hub RSS growth)\n", thousands(p.IdleN))
		g.text(w)
	}
	if g := browserGrid(rs); g != nil {
		fmt.Fprintln(w, "\nBrowser: client.wasm")
		g.text(w)
	}
	fmt.Fprintln(w, "\nTargets (issue 13; issue 11 for the Node client)")
	for _, t := range Targets(rs) {
		fmt.Fprintf(w, "  %-7s %s: %s\n", t.Status, t.Name, t.Detail)
	}
	if failed := rs.Failed(); len(failed) > 0 {
		fmt.Fprintf(w, "\n%d figures FAILED:\n", len(failed))
		for _, r := range failed {
			msg := r.Err
			if msg == "" && r.Dropped > 0 {
				msg = fmt.Sprintf("%d events dropped by the client", r.Dropped)
			}
			fmt.Fprintf(w, "  %s %s %s %s: %s\n", r.System, r.Scenario, sizeLabel(r.Payload), r.Metric, msg)
		}
	}
}
