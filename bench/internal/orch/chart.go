package orch

import (
	"fmt"
	"html"
	"math"
	"strings"
	"time"
)

// A chart panel: one figure for every system, as horizontal bars on a log
// scale.
type panel struct {
	title    string
	scenario string
	payload  int
	metric   string
}

var panels = []panel{
	{"One-way 1 KiB: msgs/s", ScOneWay, kib, MMsgs},
	{"Fan-out 1→4, 1 KiB: msgs/s delivered", ScFanOut, kib, MMsgs},
	{"One-way 16 B: msgs/s", ScOneWay, 16, MMsgs},
	{"One-way 1 MiB: MB/s", ScOneWay, mib, MMB},
	{"Request round trip 1 KiB: p50 µs (lower is better)", ScReqSeq, kib, MP50},
	{"64 requests in flight, 1 KiB: req/s", ScReqPar, kib, MReqs},
	{"Connect: median µs (lower is better)", ScConnect, 0, MConnect},
	{"Hub memory: bytes per idle connection (lower is better)", ScIdle, 0, MMem},
}

var familyColor = map[string]string{
	"ipcbus":      "#1f6feb",
	"eci":         "#e36209",
	"ipcbus-node": "#6f42c1",
	"nats":        "#2da44e",
	"raw-direct":  "#a0a7b0",
	"raw-relay":   "#57606a",
}

// barColor is a system's color: its family's, and for the browser rows
// ipcbus's lighter blue and a light grey.
func barColor(s System) string {
	switch s.Name {
	case BrowserWasm:
		return "#79b8ff"
	case BrowserRaw:
		return "#d0d7de"
	}
	return familyColor[s.Family]
}

const (
	chartW   = 980
	panelW   = 480
	labelW   = 120
	barH     = 14
	rowH     = 18
	panelTop = 26
	gapY     = 34
)

// Chart draws the panels as an SVG document.
func Chart(rs Results, systems []System, info *Info) string {
	panelH := panelTop + rowH*len(systems) + 22
	rows := (len(panels) + 1) / 2
	height := 70 + rows*(panelH+gapY)
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="Helvetica, Arial, sans-serif" font-size="11">`+"\n", chartW, height, chartW, height)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	fmt.Fprintf(&b, `<text x="10" y="22" font-size="16" font-weight="bold">ipcbus beside electron-common-ipc 16.0.4, NATS and raw sockets</text>`+"\n")
	sub := "median of the runs; log scales; every system in its own processes on this machine"
	if info != nil {
		sub = fmt.Sprintf("%s, %d CPUs, load average %s → %s; median of the runs; log scales", info.Start.UTC().Format(time.DateOnly), info.CPUs, info.LoadStart, info.LoadEnd)
	}
	fmt.Fprintf(&b, `<text x="10" y="40" fill="#57606a">%s</text>`+"\n", html.EscapeString(sub))
	legendX := 10
	for _, f := range []string{"ipcbus", "ipcbus-node", "eci", "nats", "raw-direct", "raw-relay", BrowserWasm, BrowserRaw} {
		name := map[string]string{"ipcbus": "ipcbus", "ipcbus-node": "ipcbus, Node client", "eci": "electron-common-ipc", "nats": "NATS", "raw-direct": "raw, direct (1 hop)", "raw-relay": "raw, via relay (2 hops)",
			BrowserWasm: "page: client.wasm", BrowserRaw: "page: raw JS WebSocket"}[f]
		color := familyColor[f]
		if color == "" {
			color = barColor(System{Name: f})
		}
		fmt.Fprintf(&b, `<rect x="%d" y="50" width="10" height="10" fill="%s"/><text x="%d" y="59">%s</text>`+"\n", legendX, color, legendX+14, name)
		legendX += 24 + 6*len(name)
	}
	for i, p := range panels {
		x := 10 + (i%2)*(panelW+10)
		y := 70 + (i/2)*(panelH+gapY)
		p.draw(&b, rs, systems, x, y)
	}
	b.WriteString("</svg>\n")
	return b.String()
}

func (p panel) draw(b *strings.Builder, rs Results, systems []System, x, y int) {
	fmt.Fprintf(b, `<text x="%d" y="%d" font-size="13" font-weight="bold">%s</text>`+"\n", x, y+14, html.EscapeString(p.title))
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, s := range systems {
		if r := rs.Get(s.Name, p.scenario, p.payload, p.metric); r != nil && r.OK() && r.Median() > 0 {
			lo, hi = min(lo, r.Median()), max(hi, r.Median())
		}
	}
	if math.IsInf(lo, 1) {
		fmt.Fprintf(b, `<text x="%d" y="%d" fill="#57606a">not measured in this run</text>`+"\n", x, y+panelTop+14)
		return
	}
	// Whole decades around the values.
	dlo, dhi := math.Floor(math.Log10(lo)), math.Ceil(math.Log10(hi))
	if dhi <= dlo {
		dhi = dlo + 1
	}
	plotX, plotW := x+labelW, panelW-labelW-60
	scale := func(v float64) float64 {
		return float64(plotX) + (math.Log10(v)-dlo)/(dhi-dlo)*float64(plotW)
	}
	top, bottom := y+panelTop, y+panelTop+rowH*len(systems)
	for d := dlo; d <= dhi; d++ {
		gx := scale(math.Pow(10, d))
		fmt.Fprintf(b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#d0d7de"/>`+"\n", gx, top-2, gx, bottom)
		fmt.Fprintf(b, `<text x="%.1f" y="%d" text-anchor="middle" fill="#57606a" font-size="10">%s</text>`+"\n", gx, bottom+12, decade(int(d)))
	}
	for i, s := range systems {
		ry := top + i*rowH
		fmt.Fprintf(b, `<text x="%d" y="%d" text-anchor="end">%s</text>`+"\n", plotX-6, ry+barH-3, html.EscapeString(s.Name))
		r := rs.Get(s.Name, p.scenario, p.payload, p.metric)
		switch {
		case r == nil:
			continue
		case !r.OK():
			fmt.Fprintf(b, `<text x="%d" y="%d" fill="#cf222e">failed</text>`+"\n", plotX+4, ry+barH-3)
			continue
		}
		v := r.Median()
		w := max(scale(v)-float64(plotX), 1)
		fmt.Fprintf(b, `<rect x="%d" y="%d" width="%.1f" height="%d" fill="%s"/>`+"\n", plotX, ry, w, barH, barColor(s))
		fmt.Fprintf(b, `<text x="%.1f" y="%d">%s</text>`+"\n", float64(plotX)+w+4, ry+barH-3, human(v))
	}
}

// decade labels 10^d: 1, 10, 100, 1k, ... 1M, ...
func decade(d int) string {
	suffix := []string{"", "k", "M", "G"}
	if d < 0 || d/3 >= len(suffix) {
		return fmt.Sprintf("1e%d", d)
	}
	return "1" + strings.Repeat("0", d%3) + suffix[d/3]
}
