package orch

import "fmt"

// Target is one goal of issue 7, checked against the medians.
type Target struct {
	Name   string
	Status string // met, missed, n/a
	Detail string
}

// ratioTarget checks a/b ≥ want (or ≤ want when atMost).
func ratioTarget(rs Results, name string, a, b *Result, want float64, atMost bool) Target {
	t := Target{Name: name, Status: "n/a"}
	if a == nil || b == nil || !a.OK() || !b.OK() || b.Median() == 0 {
		t.Detail = "not measured in this run"
		return t
	}
	ratio := a.Median() / b.Median()
	ok := ratio >= want
	op := "≥"
	if atMost {
		ok, op = ratio <= want, "≤"
	}
	t.Status = map[bool]string{true: "met", false: "missed"}[ok]
	t.Detail = fmt.Sprintf("%s / %s = %s / %s = %.2f× (want %s %g×)",
		a.System, b.System, human(a.Median()), human(b.Median()), ratio, op, want)
	return t
}

// Targets evaluates the targets of issue 7 that native runs can measure.
// Requests are judged at 1 KiB, as the other targets are.
func Targets(rs Results) []Target {
	const ipc, eci, relay, nats = "ipcbus-unix", "eci-unix", "raw-relay-unix", "nats-tcp"
	ts := []Target{
		ratioTarget(rs, "1 KiB one-way: ipcbus Unix ≥ 10× electron-common-ipc",
			rs.Get(ipc, ScOneWay, kib, MMsgs), rs.Get(eci, ScOneWay, kib, MMsgs), 10, false),
		ratioTarget(rs, "1 KiB one-way: ipcbus Unix ≥ 0.5× raw Unix relay",
			rs.Get(ipc, ScOneWay, kib, MMsgs), rs.Get(relay, ScOneWay, kib, MMsgs), 0.5, false),
		ratioTarget(rs, "fan-out 1→4, 1 KiB: ipcbus Unix ≥ 10× electron-common-ipc",
			rs.Get(ipc, ScFanOut, kib, MMsgs), rs.Get(eci, ScFanOut, kib, MMsgs), 10, false),
		ratioTarget(rs, "request p50 (1 KiB) over Unix ≤ 2× raw relay round trip",
			rs.Get(ipc, ScReqSeq, kib, MP50), rs.Get(relay, ScReqSeq, kib, MP50), 2, true),
		ratioTarget(rs, "request p50 (1 KiB) over Unix no slower than NATS",
			rs.Get(ipc, ScReqSeq, kib, MP50), rs.Get(nats, ScReqSeq, kib, MP50), 1, true),
		ratioTarget(rs, "1 MiB one-way ≥ 0.8× raw Unix relay MB/s",
			rs.Get(ipc, ScOneWay, mib, MMB), rs.Get(relay, ScOneWay, mib, MMB), 0.8, false),
	}
	mem := Target{Name: "≤ 16 KiB hub memory per idle connection", Status: "n/a", Detail: "not measured in this run"}
	if m := rs.Get(ipc, ScIdle, 0, MMem); m != nil && m.OK() {
		ok := m.Median() <= 16*kib
		mem.Status = map[bool]string{true: "met", false: "missed"}[ok]
		mem.Detail = fmt.Sprintf("ipcbus-unix hub: %s B per connection (RSS growth; want ≤ 16384)", human(m.Median()))
	}
	// issue 11: the Node client beside electron-common-ipc's Node clients
	const node = "ipcbus-node-unix"
	ts = append(ts,
		ratioTarget(rs, "Node client, 1 KiB one-way: ipcbus-node ≥ 2.5× electron-common-ipc",
			rs.Get(node, ScOneWay, kib, MMsgs), rs.Get(eci, ScOneWay, kib, MMsgs), 2.5, false),
		ratioTarget(rs, "Node client, request p50 (1 KiB): ipcbus-node ≤ 0.6× electron-common-ipc",
			rs.Get(node, ScReqSeq, kib, MP50), rs.Get(eci, ScReqSeq, kib, MP50), 0.6, true),
		ratioTarget(rs, "Node client, 1 MiB one-way: ipcbus-node ≥ 1.5× electron-common-ipc MB/s",
			rs.Get(node, ScOneWay, mib, MMB), rs.Get(eci, ScOneWay, mib, MMB), 1.5, false))
	ts = append(ts, bigTargets(rs)...)
	ts = append(ts, mem,
		ratioTarget(rs, "browser: wasm request round trip (p50, 1 KiB) ≤ 2× raw JS WebSocket echo",
			rs.Get(BrowserWasm, ScReqSeq, kib, MP50), rs.Get(BrowserRaw, ScReqSeq, kib, MP50), 2, true))
	size := Target{Name: "browser: client.wasm ≤ 1 MiB gzipped", Status: "n/a", Detail: "not measured in this run"}
	if g := rs.Get(BrowserWasm, ScFootprint, 0, MWasmGzip); g != nil && g.OK() {
		ok := g.Median() <= mib
		size.Status = map[bool]string{true: "met", false: "missed"}[ok]
		size.Detail = fmt.Sprintf("%s bytes after gzip -9 (want ≤ %d)", thousands(int(g.Median())), mib)
	}
	return append(ts, size)
}
