package orch

import (
	"slices"
	"strconv"
)

// Scenarios, in table order.
const (
	ScOneWay  = "one-way"
	ScFanOut  = "fan-out 1→4"
	ScReqSeq  = "request seq"
	ScReqPar  = "64 in flight"
	ScConnect = "connect"
	ScIdle    = "idle conns"
	// ScBig is electron-common-ipc's own benchmark: one value of a kind
	// (proto.Kinds) at a time, 1 MB and 10 MB; each figure's scenario is
	// ScBig + " " + kind.
	ScBig = "big"
	// ScFootprint is client.wasm's size and load time (browser rows).
	ScFootprint = "client.wasm"
)

// Metrics.
const (
	MMsgs     = "msgs/s"
	MMB       = "MB/s"
	MP50      = "p50 µs"
	MP99      = "p99 µs"
	MReqs     = "req/s"
	MConnect  = "median µs"
	MMem      = "B/conn"
	MOneWayMS = "one-way ms" // median time from send to the receiver's listener
	// client.wasm: bytes, bytes after gzip -9, and ms from fetch to a
	// running engine in a fresh tab.
	MWasmBytes = "bytes"
	MWasmGzip  = "gzip -9 bytes"
	MLoad      = "load ms"
	// CPU time per message sent (user + system, from /proc), in µs: of
	// every process of the system together, and of each part.
	MCPU         = "CPU µs/msg"
	MCPUHub      = "hub CPU µs/msg"
	MCPUSender   = "sender CPU µs/msg"
	MCPUReceiver = "receiver CPU µs/msg"
)

// Result is one figure: a metric of a scenario at a payload, for a
// system, over the runs.
type Result struct {
	System   string
	Scenario string
	Payload  int // bytes; 0 where it does not apply
	Metric   string
	Values   []float64 // one per run
	Samples  []int     // per run: messages, requests or connections it counted
	Dropped  uint64    // events the client library dropped, summed over runs
	Err      string    // the first error of any run
}

// Median of the values (0 when there are none).
func (r *Result) Median() float64 {
	if len(r.Values) == 0 {
		return 0
	}
	v := slices.Clone(r.Values)
	slices.Sort(v)
	n := len(v)
	if n%2 == 1 {
		return v[n/2]
	}
	return (v[n/2-1] + v[n/2]) / 2
}

// OK says whether every run succeeded.
func (r *Result) OK() bool { return r.Err == "" && len(r.Values) > 0 && r.Dropped == 0 }

// HigherBetter says which way the metric goes.
func HigherBetter(metric string) bool {
	switch metric {
	case MMsgs, MMB, MReqs:
		return true
	}
	return false
}

// Results is every figure of a bench run.
type Results []*Result

// Get finds a figure.
func (rs Results) Get(system, scenario string, payload int, metric string) *Result {
	for _, r := range rs {
		if r.System == system && r.Scenario == scenario && r.Payload == payload && r.Metric == metric {
			return r
		}
	}
	return nil
}

// Failed lists the figures with an error.
func (rs Results) Failed() []*Result {
	var out []*Result
	for _, r := range rs {
		if !r.OK() {
			out = append(out, r)
		}
	}
	return out
}

func sizeLabel(n int) string {
	switch {
	case n == 0:
		return ""
	case n >= mib && n%mib == 0:
		return strconv.Itoa(n/mib) + " MiB"
	case n >= kib && n%kib == 0:
		return strconv.Itoa(n/kib) + " KiB"
	}
	return strconv.Itoa(n) + " B"
}
