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
	b.WriteString("### Targets (issue 7)\n\n| target | status | measured |\n|---|---|---|\n")
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
	for _, t := range payloadTables {
		fmt.Fprintf(&b, "\n### %s\n\n", t.Title)
		t.grid(rs, systems, p.Payloads).markdown(&b)
	}
	fmt.Fprintf(&b, "\n### Connect time and hub memory (%s idle connections, growth of the hub process's RSS)\n\n", thousands(p.IdleN))
	connGrid(rs, systems).markdown(&b)
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
