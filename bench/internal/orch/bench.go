// Package orch is the bench orchestrator: it starts each system's
// processes, drives the scenarios through the workers, and reports.
package orch

import (
	"fmt"
	"io"
	"time"

	"github.com/ipcbus/ipcbus/bench/internal/proto"
)

// Run measures every system of the plan, one after the other, logging
// progress to log.
func Run(p Plan, systems []System, e *Env, log io.Writer) Results {
	var rs Results
	browser := false
	for _, s := range systems {
		t0 := time.Now()
		if s.Family == "browser" {
			if browser {
				continue // both rows come from the same page runs
			}
			browser = true
			rs = append(rs, runBrowser(p, e, log)...)
			fmt.Fprintf(log, "%-16s done in %.1fs (load %s)\n", "browser", time.Since(t0).Seconds(), loadAvg())
			continue
		}
		rs = append(rs, runSystem(p, s, e, log)...)
		fmt.Fprintf(log, "%-16s done in %.1fs (load %s)\n", s.Name, time.Since(t0).Seconds(), loadAvg())
	}
	return rs
}

func runSystem(p Plan, s System, e *Env, log io.Writer) Results {
	var rs Results
	add := func(sc string, size int, metric string) *Result {
		r := &Result{System: s.Name, Scenario: sc, Payload: size, Metric: metric}
		if p.wants(sc) {
			rs = append(rs, r)
		}
		return r
	}
	fail := func(r *Result, err error) {
		if err != nil && r.Err == "" {
			r.Err = err.Error()
			fmt.Fprintf(log, "  %s %s %s: %v\n", s.Name, r.Scenario, sizeLabel(r.Payload), err)
		}
	}
	r, err := s.start(e)
	if err == nil {
		if err = r.warmUp(p); err != nil {
			r.stop()
		}
	}
	for _, size := range p.Payloads {
		t0 := time.Now()
		ow, owMB := add(ScOneWay, size, MMsgs), add(ScOneWay, size, MMB)
		cpu, cpuHub := add(ScOneWay, size, MCPU), add(ScOneWay, size, MCPUHub)
		cpuSend, cpuRecv := add(ScOneWay, size, MCPUSender), add(ScOneWay, size, MCPUReceiver)
		fo, foMB := add(ScFanOut, size, MMsgs), add(ScFanOut, size, MMB)
		p50, p99 := add(ScReqSeq, size, MP50), add(ScReqSeq, size, MP99)
		par := add(ScReqPar, size, MReqs)
		if err != nil {
			for _, x := range []*Result{ow, owMB, cpu, cpuHub, cpuSend, cpuRecv, fo, foMB, p50, p99, par} {
				fail(x, err)
			}
			continue
		}
		for range p.Runs {
			if p.wants(ScOneWay) {
				f, err := r.oneWay(p, size, []int{1})
				ow.Dropped += f.dropped
				if fail(ow, err); err == nil {
					ow.Values, ow.Samples = append(ow.Values, f.rate), append(ow.Samples, f.counted)
					owMB.Values = append(owMB.Values, f.rate*float64(size)/1e6)
					cpu.Values = append(cpu.Values, f.cpuHub+f.cpuSender+f.cpuReceivers)
					cpuHub.Values = append(cpuHub.Values, f.cpuHub)
					cpuSend.Values = append(cpuSend.Values, f.cpuSender)
					cpuRecv.Values = append(cpuRecv.Values, f.cpuReceivers)
				}
			}
			if p.wants(ScFanOut) {
				f, err := r.oneWay(p, size, []int{1, 2, 3, 4})
				fo.Dropped += f.dropped
				if fail(fo, err); err == nil {
					fo.Values, fo.Samples = append(fo.Values, f.rate), append(fo.Samples, f.counted)
					foMB.Values = append(foMB.Values, f.rate*float64(size)/1e6)
				}
			}
			if p.wants(ScReqSeq) {
				rr, err := r.requests(p, proto.OpReqSeq, size)
				if fail(p50, err); err == nil {
					p50.Values, p50.Samples = append(p50.Values, rr.P50US), append(p50.Samples, rr.Count)
					p99.Values = append(p99.Values, rr.P99US)
				}
			}
			if p.wants(ScReqPar) {
				rr, err := r.requests(p, proto.OpReqPar, size)
				if fail(par, err); err == nil {
					par.Values, par.Samples = append(par.Values, float64(rr.Count)/rr.Seconds), append(par.Samples, rr.Count)
				}
			}
		}
		owMB.Err, owMB.Dropped, owMB.Samples = ow.Err, ow.Dropped, ow.Samples
		for _, c := range []*Result{cpu, cpuHub, cpuSend, cpuRecv} {
			c.Err, c.Samples = ow.Err, ow.Samples
		}
		foMB.Err, foMB.Dropped, foMB.Samples = fo.Err, fo.Dropped, fo.Samples
		p99.Err, p99.Samples = p50.Err, p50.Samples
		if !p.wants(ScOneWay) && !p.wants(ScFanOut) && !p.wants(ScReqSeq) && !p.wants(ScReqPar) {
			continue
		}
		fmt.Fprintf(log, "  %-16s %-7s one-way %s msgs/s, fan-out %s, p50 %s µs, in flight %s req/s (%.1fs)\n",
			s.Name, sizeLabel(size), human(ow.Median()), human(fo.Median()), human(p50.Median()), human(par.Median()), time.Since(t0).Seconds())
	}
	if s.Big && p.wants(ScBig) {
		if err != nil {
			for _, size := range p.BigSizes {
				for _, kind := range proto.Kinds {
					fail(add(ScBig+" "+kind, size, MOneWayMS), err)
				}
			}
		} else {
			runBig(p, r, s, add, fail, log)
		}
	}
	conn := add(ScConnect, 0, MConnect)
	if err != nil {
		fail(conn, err)
	} else {
		for range p.Runs * b2i(p.wants(ScConnect)) {
			v, err := r.connect(p)
			if fail(conn, err); err == nil {
				conn.Values = append(conn.Values, v)
			}
		}
		r.stop()
	}
	if s.Memory && p.wants(ScIdle) {
		t0 := time.Now()
		mem := add(ScIdle, 0, MMem)
		for range p.Runs {
			v, err := s.idleMemory(e, p)
			if fail(mem, err); err == nil {
				mem.Values = append(mem.Values, v)
			}
		}
		fmt.Fprintf(log, "  %-16s connect %s µs, hub memory %s B per idle connection (%.1fs)\n", s.Name, human(conn.Median()), human(mem.Median()), time.Since(t0).Seconds())
	}
	return rs
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
