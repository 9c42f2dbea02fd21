package orch

import (
	"fmt"
	"io"
	"time"

	"github.com/ipcbus/ipcbus/bench/internal/proto"
)

// big sends p.BigN[size] values of kind, one at a time, from worker 0 to
// worker 1 and returns the median one-way time in ms.
func (r *running) big(p Plan, kind string, size int) (float64, error) {
	ch, ack, probe := channels()
	tmo := ms(p.Timeout)
	n := p.BigN[size]
	recv := r.workers[1]
	seq, err := recv.send(proto.Command{Op: proto.OpBigRecv, Ch: ch, AckCh: ack, ProbeCh: probe,
		N: n, Size: size, Kind: kind, TimeoutMS: tmo})
	if err != nil {
		return 0, err
	}
	if rr, err := recv.await(seq, proto.PhaseReady, p.grace()); err != nil {
		return 0, err
	} else if rr.Err != "" {
		return 0, fmt.Errorf("receiver: %s", rr.Err)
	}
	sr, err := r.workers[0].call(proto.Command{Op: proto.OpBigSend, Ch: ch, AckCh: ack, ProbeCh: probe,
		N: n, Size: size, Kind: kind, TimeoutMS: tmo}, p.grace())
	if err == nil && sr.Err != "" {
		err = fmt.Errorf("sender: %s", sr.Err)
	}
	rr, rerr := recv.await(seq, proto.PhaseDone, p.grace())
	if err != nil {
		return 0, err
	}
	if rerr != nil {
		return 0, rerr
	}
	if rr.Err != "" || rr.Bad > 0 {
		return 0, fmt.Errorf("receiver: %d bad values: %s", rr.Bad, rr.Err)
	}
	return sr.MedUS / 1e3, nil
}

// runBig measures the big-payload scenario of a running system.
func runBig(p Plan, r *running, s System, add func(sc string, size int, metric string) *Result, fail func(*Result, error), log io.Writer) {
	for _, size := range p.BigSizes {
		t0 := time.Now()
		line := ""
		for _, kind := range proto.Kinds {
			res := add(ScBig+" "+kind, size, MOneWayMS)
			for range p.Runs {
				v, err := r.big(p, kind, size)
				if fail(res, err); err == nil {
					res.Values = append(res.Values, v)
				}
			}
			line += fmt.Sprintf(" %s %s ms,", kind, human(res.Median()))
		}
		fmt.Fprintf(log, "  %-16s %-7s big one-way:%s (%.1fs)\n", s.Name, bigLabel(size), line[:len(line)-1], time.Since(t0).Seconds())
	}
}

// bigLabel writes the big scenario's sizes as electron-common-ipc's
// test-app does: 1 MB, 10 MB (10⁶ B); the smoke run's 100 kB.
func bigLabel(n int) string {
	switch {
	case n >= 1e6 && n%1e6 == 0:
		return fmt.Sprintf("%d MB", n/1e6)
	case n >= 1e3 && n%1e3 == 0:
		return fmt.Sprintf("%d kB", n/1e3)
	}
	return sizeLabel(n)
}

// bigSystems are the rows of the big-payload table, and the ratios.
var bigSystems = []string{"ipcbus-unix", "ipcbus-node-unix", "eci-unix"}

var bigRatios = [][2]string{{"ipcbus-unix", "eci-unix"}, {"ipcbus-node-unix", "eci-unix"}}

// bigGrid is the big-payload table: a row per kind and size, a column per
// system and ratio. It is nil when nothing was measured.
func bigGrid(rs Results, p Plan) grid {
	head := []string{"value, size"}
	head = append(head, bigSystems...)
	for _, rr := range bigRatios {
		head = append(head, rr[0]+" ÷ "+rr[1])
	}
	g := grid{head}
	for _, size := range p.BigSizes {
		for _, kind := range proto.Kinds {
			row := []string{kind + ", " + bigLabel(size)}
			some := false
			for _, s := range bigSystems {
				res := rs.Get(s, ScBig+" "+kind, size, MOneWayMS)
				some = some || res != nil
				row = append(row, cell(res))
			}
			for _, rr := range bigRatios {
				row = append(row, ratio(rs.Get(rr[0], ScBig+" "+kind, size, MOneWayMS), rs.Get(rr[1], ScBig+" "+kind, size, MOneWayMS)))
			}
			if some {
				g = append(g, row)
			}
		}
	}
	if len(g) == 1 {
		return nil
	}
	return g
}

const bigTitle = "electron-common-ipc's own scenario: one value at a time, median one-way ms (send until the receiver's listener has it decoded)"

// bigTargets: at 10 MB, ipcbus's time ≤ 0.5× electron-common-ipc's for
// every kind (issue 13), for the Go and the Node client; the detail names
// the worst kind.
func bigTargets(rs Results) []Target {
	var ts []Target
	for _, rr := range bigRatios {
		name := fmt.Sprintf("10 MB one value at a time, every kind: %s ≤ 0.5× electron-common-ipc's time", rr[0])
		var worst Target
		worstRatio := -1.0
		for _, kind := range proto.Kinds {
			a, b := rs.Get(rr[0], ScBig+" "+kind, 1e7, MOneWayMS), rs.Get(rr[1], ScBig+" "+kind, 1e7, MOneWayMS)
			t := ratioTarget(rs, name, a, b, 0.5, true)
			if t.Status == "n/a" {
				worst, worstRatio = t, 1e9
				break
			}
			if v := a.Median() / b.Median(); v > worstRatio {
				worst, worstRatio = t, v
				worst.Detail = kind + ": " + t.Detail
			}
		}
		ts = append(ts, worst)
	}
	return ts
}
