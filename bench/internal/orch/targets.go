package orch

import "fmt"

// Target is one goal of issue 13 (or 11), checked against the medians.
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

// Targets evaluates the done-when list of issue 13, and issue 11's
// targets for the Node client, on the medians of one run.
func Targets(rs Results) []Target {
	const ipc, ws, eci, relay, nats = "ipcbus-unix", "ipcbus-ws", "eci-unix", "raw-relay-unix", "nats-tcp"
	var ts []Target
	for _, sc := range [][2]string{{ScOneWay, "one-way 1→1"}, {ScFanOut, "fan-out 1→4"}} {
		for _, t := range []struct {
			size int
			want float64
		}{{kib, 10}, {64 * kib, 1.5}, {mib, 1.5}} {
			ts = append(ts, ratioTarget(rs, fmt.Sprintf("%s, %s: ipcbus Unix ≥ %g× electron-common-ipc", sc[1], sizeLabel(t.size), t.want),
				rs.Get(ipc, sc[0], t.size, MMsgs), rs.Get(eci, sc[0], t.size, MMsgs), t.want, false))
		}
	}
	ts = append(ts,
		ratioTarget(rs, "one-way 1→1, 1 MiB: ipcbus Unix ≥ 0.6× raw Unix relay",
			rs.Get(ipc, ScOneWay, mib, MMsgs), rs.Get(relay, ScOneWay, mib, MMsgs), 0.6, false),
		ratioTarget(rs, "one-way 1→1, 1 KiB: ipcbus Unix ≥ 0.5× raw Unix relay",
			rs.Get(ipc, ScOneWay, kib, MMsgs), rs.Get(relay, ScOneWay, kib, MMsgs), 0.5, false))
	for _, size := range []int{16, kib, 64 * kib, mib} {
		ts = append(ts, ratioTarget(rs, fmt.Sprintf("request p50, %s: ipcbus Unix ≤ electron-common-ipc", sizeLabel(size)),
			rs.Get(ipc, ScReqSeq, size, MP50), rs.Get(eci, ScReqSeq, size, MP50), 1, true))
	}
	for _, size := range []int{16, kib} {
		ts = append(ts, ratioTarget(rs, fmt.Sprintf("request p50, %s: ipcbus Unix ≤ NATS", sizeLabel(size)),
			rs.Get(ipc, ScReqSeq, size, MP50), rs.Get(nats, ScReqSeq, size, MP50), 1, true))
	}
	ts = append(ts,
		ratioTarget(rs, "hub memory per idle connection: ipcbus Unix ≤ electron-common-ipc (B, RSS growth)",
			rs.Get(ipc, ScIdle, 0, MMem), rs.Get(eci, ScIdle, 0, MMem), 1, true),
		ratioTarget(rs, "one-way 1→1, 1 KiB: ipcbus WebSocket ≥ 0.7× ipcbus Unix",
			rs.Get(ws, ScOneWay, kib, MMsgs), rs.Get(ipc, ScOneWay, kib, MMsgs), 0.7, false),
		ratioTarget(rs, "browser, 1 KiB: wasm request p50 ≤ 1.5× raw JS WebSocket echo",
			rs.Get(BrowserWasm, ScReqSeq, kib, MP50), rs.Get(BrowserRaw, ScReqSeq, kib, MP50), 1.5, true),
		ratioTarget(rs, "browser, 1 KiB: wasm one-way ≥ 0.9× raw JS WebSocket",
			rs.Get(BrowserWasm, ScOneWay, kib, MMsgs), rs.Get(BrowserRaw, ScOneWay, kib, MMsgs), 0.9, false))

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
	// not in issue 13: the size budget of client.wasm (issue 7)
	size := Target{Name: "browser: client.wasm ≤ 1 MiB gzipped", Status: "n/a", Detail: "not measured in this run"}
	if g := rs.Get(BrowserWasm, ScFootprint, 0, MWasmGzip); g != nil && g.OK() {
		ok := g.Median() <= mib
		size.Status = map[bool]string{true: "met", false: "missed"}[ok]
		size.Detail = fmt.Sprintf("%s bytes after gzip -9 (want ≤ %d)", thousands(int(g.Median())), mib)
	}
	return append(ts, size)
}
