package orch

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/ipcbus/ipcbus/bench/internal/proto"
)

const defaultTimeout = 10 * time.Second

var channelSeq int

// channels returns fresh channel names for one run, so that nothing of an
// earlier run can be counted in it.
func channels() (data, ack, probe string) {
	channelSeq++
	base := fmt.Sprintf("bench.%d", channelSeq)
	return base + ".data", base + ".ack", base + ".probe"
}

// grace is how long past a command's own timeout the orchestrator waits.
func (p Plan) grace() time.Duration { return p.Timeout + 10*time.Second }

// flow is what a one-way or fan-out run measured.
type flow struct {
	rate    float64 // messages/s counted at the receivers, summed
	counted int     // messages they counted
	dropped uint64
	// CPU time per message sent, in µs, of the hub, the sender and the
	// receivers together.
	cpuHub, cpuSender, cpuReceivers float64
}

// cpuOf returns the CPU time used so far by each process (nil ones: 0).
func cpuOf(ps ...*proc) []time.Duration {
	out := make([]time.Duration, len(ps))
	for i, p := range ps {
		if p != nil {
			out[i], _ = cpuTime(p.pid())
		}
	}
	return out
}

// oneWay sends n messages of size from worker 0 to the receivers and
// returns the rate counted at the receivers: all the messages they got
// past the warm-up, over the time from the first to the last.
func (r *running) oneWay(p Plan, size int, receivers []int) (f flow, err error) {
	n := p.OneWayN[size]
	window, every := p.window(size)
	ch, ack, probe := channels()
	tmo, budget := ms(p.Timeout), ms(p.budget(size))
	procs := []*proc{r.hub, r.workers[0]}
	for _, id := range receivers {
		procs = append(procs, r.workers[id])
	}
	cpu0 := cpuOf(procs...)
	seqs := make([]int, len(receivers))
	for i, id := range receivers {
		seqs[i], err = r.workers[id].send(proto.Command{Op: proto.OpRecv, Ch: ch, AckCh: ack, ProbeCh: probe,
			N: n, Size: size, Warmup: min(n/10, 1000), AckEvery: every, TimeoutMS: tmo})
		if err != nil {
			return f, err
		}
	}
	for i, id := range receivers {
		if _, err := r.workers[id].await(seqs[i], proto.PhaseReady, p.grace()); err != nil {
			return f, err
		}
	}
	sr, err := r.workers[0].call(proto.Command{Op: proto.OpSend, Ch: ch, AckCh: ack, ProbeCh: probe,
		N: n, Size: size, Window: window, Dst: receivers, BudgetMS: budget, TimeoutMS: tmo}, p.grace())
	if err == nil && sr.Err != "" {
		err = fmt.Errorf("sender: %s", sr.Err)
	}
	var (
		first, last int64 = math.MaxInt64, 0
		errs              = []error{err}
	)
	for i, id := range receivers {
		rr, werr := r.workers[id].await(seqs[i], proto.PhaseDone, p.grace())
		if werr != nil {
			errs = append(errs, werr)
			continue
		}
		if rr.Err != "" {
			errs = append(errs, fmt.Errorf("receiver %d: %s", id, rr.Err))
		}
		if rr.Bad > 0 {
			errs = append(errs, fmt.Errorf("receiver %d: %d payloads of the wrong size", id, rr.Bad))
		}
		f.dropped += rr.Dropped
		f.counted += rr.Count
		first, last = min(first, rr.FirstNS), max(last, rr.LastNS)
	}
	cpu1 := cpuOf(procs...)
	if sent := float64(sr.Count); sent > 0 {
		us := func(i int) float64 { return float64(cpu1[i]-cpu0[i]) / float64(time.Microsecond) / sent }
		f.cpuHub, f.cpuSender = us(0), us(1)
		for i := 2; i < len(procs); i++ {
			f.cpuReceivers += us(i)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return f, err
	}
	if last <= first || f.counted == 0 {
		return f, errors.New("no messages timed")
	}
	f.rate = float64(f.counted) / (float64(last-first) / 1e9)
	return f, nil
}

// requests runs op (OpReqSeq or OpReqPar) from worker 0 against a
// responder in worker 1.
func (r *running) requests(p Plan, op string, size int) (proto.Reply, error) {
	ch, _, _ := channels()
	tmo := ms(p.Timeout)
	resp := r.workers[1]
	if rr, err := resp.call(proto.Command{Op: proto.OpServe, Ch: ch, TimeoutMS: tmo}, p.grace()); err != nil {
		return rr, err
	} else if rr.Err != "" {
		return rr, fmt.Errorf("responder: %s", rr.Err)
	}
	defer resp.call(proto.Command{Op: proto.OpUnserve, Ch: ch}, p.grace())
	cmd := proto.Command{Op: op, Ch: ch, Size: size, Dst: []int{1}, BudgetMS: ms(p.budget(size)), TimeoutMS: tmo}
	if op == proto.OpReqSeq {
		cmd.N, cmd.Warmup = p.SeqN[size], max(p.SeqN[size]/10, 5)
	} else {
		cmd.N, cmd.Warmup, cmd.InFlight = p.ParN[size], 5, p.InFlight
	}
	rr, err := r.workers[0].call(cmd, p.grace())
	if err != nil {
		return rr, err
	}
	if rr.Err != "" || rr.Bad > 0 {
		return rr, fmt.Errorf("requester: %d failed: %s", rr.Bad, rr.Err)
	}
	if rr.Count < min(cmd.N, minRequests) {
		return rr, fmt.Errorf("requester: only %d requests answered within %v", rr.Count, p.budget(size))
	}
	return rr, nil
}

// minRequests is the fewest answered requests a run may have.
const minRequests = 3

func ms(d time.Duration) int { return int(d / time.Millisecond) }

// connect measures connect times from worker 0.
func (r *running) connect(p Plan) (float64, error) {
	rr, err := r.workers[0].call(proto.Command{Op: proto.OpConnect, N: p.ConnectN, TimeoutMS: ms(p.Timeout)}, p.grace())
	if err != nil {
		return 0, err
	}
	if rr.Err != "" || rr.Count != p.ConnectN {
		return rr.MedUS, fmt.Errorf("%d of %d connected: %s", rr.Count, p.ConnectN, rr.Err)
	}
	return rr.MedUS, nil
}

// warmUp runs a short fan-out and request round before measuring, and
// discards them: V8's JIT (and, less, Go's first allocations) would
// otherwise make the first payload size of a system look slow. Node's
// workers get a second of each at 1 KiB: client.wasm's hot functions reach
// V8's optimizing tier only after some 10,000 messages (measured with
// bench/node/profile.js: 60 µs of CPU per message in each worker before,
// 12 after, most of it the compiler's), and electron-common-ipc is held to
// the same.
func (r *running) warmUp(p Plan) error {
	p.Budget = 150 * time.Millisecond
	size := p.Payloads[0]
	if r.sys.nodeWorkers() && !p.Smoke {
		p.Budget, size = time.Second, kib
		p.OneWayN = map[int]int{kib: 100000}
		p.ParN = map[int]int{kib: 100000}
	}
	if _, err := r.oneWay(p, size, []int{1, 2, 3, 4}); err != nil {
		return fmt.Errorf("warm-up: %w", err)
	}
	if _, err := r.requests(p, proto.OpReqPar, size); err != nil {
		return fmt.Errorf("warm-up: %w", err)
	}
	return nil
}
