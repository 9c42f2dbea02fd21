package orch

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Plan is what one bench run measures and how much.
type Plan struct {
	Smoke    bool
	Runs     int   // each figure is the median of this many runs
	Payloads []int // bytes
	// Messages per one-way and fan-out run, sequential requests and
	// requests in flight, by payload size.
	OneWayN, SeqN, ParN map[int]int
	InFlight            int
	ConnectN            int // connects per connect-time run
	IdleN               int // idle connections for the memory figure
	// BigSizes are the payload sizes of the big-payload scenario, BigN
	// the values sent one at a time per run and kind, by size.
	BigSizes []int
	BigN     map[int]int
	// WindowBytes is the sender's credit: how much may be sent and not yet
	// acknowledged by every receiver (in messages: clamped to 8..4096).
	WindowBytes int
	// Budget bounds the measuring loop of each run in time: a system too
	// slow to move N messages in it is measured on what it moved.
	Budget time.Duration
	// Timeout bounds each command of a run; past it the run fails.
	Timeout time.Duration
	// Only, when not empty, restricts the run to these scenarios.
	Only map[string]bool
	// BrowserTrace adds a page run that times the segments of a round trip
	// (client.wasm and the plain WebSocket) and logs them.
	BrowserTrace bool
}

// ScenarioFlags names the scenarios for the -scenarios flag.
var ScenarioFlags = map[string]string{
	"oneway": ScOneWay, "fanout": ScFanOut, "reqseq": ScReqSeq,
	"reqpar": ScReqPar, "connect": ScConnect, "idle": ScIdle, "big": ScBig,
}

func (p Plan) wants(scenario string) bool {
	if kind, ok := strings.CutPrefix(scenario, ScBig+" "); ok && kind != "" {
		scenario = ScBig
	}
	return len(p.Only) == 0 || p.Only[scenario]
}

const (
	kib = 1 << 10
	mib = 1 << 20
)

// FullPlan is `make bench`: 4 payloads, medians of 3, about 4 minutes on
// 2 cores.
func FullPlan() Plan {
	return Plan{
		Runs:        3,
		Payloads:    []int{16, kib, 64 * kib, mib},
		OneWayN:     map[int]int{16: 100000, kib: 50000, 64 * kib: 3000, mib: 300},
		SeqN:        map[int]int{16: 1000, kib: 1000, 64 * kib: 300, mib: 100},
		ParN:        map[int]int{16: 10000, kib: 10000, 64 * kib: 2000, mib: 200},
		InFlight:    64,
		ConnectN:    50,
		IdleN:       10000,
		BigSizes:    []int{1e6, 1e7},
		BigN:        map[int]int{1e6: 9, 1e7: 3},
		WindowBytes: 16 * mib,
		Budget:      150 * time.Millisecond,
		Timeout:     20 * time.Second,
	}
}

// SmokePlan is the tiny run `make test` calls: every system, every
// scenario, two payloads, one run each, small counts.
func SmokePlan() Plan {
	return Plan{
		Smoke:       true,
		Runs:        1,
		Payloads:    []int{16, 64 * kib},
		OneWayN:     map[int]int{16: 500, 64 * kib: 100},
		SeqN:        map[int]int{16: 50, 64 * kib: 20},
		ParN:        map[int]int{16: 200, 64 * kib: 50},
		InFlight:    64,
		ConnectN:    5,
		IdleN:       1000,
		BigSizes:    []int{1e5},
		BigN:        map[int]int{1e5: 1},
		WindowBytes: 16 * mib,
		Budget:      150 * time.Millisecond,
		Timeout:     10 * time.Second,
	}
}

// budget returns the time budget of a run at size: larger payloads get
// more (×4/3 from 64 KiB, ×2 from 1 MiB: 200 and 300 ms for a base of
// 150 ms), so that a run counts more than a handful of them and one
// scheduling stall of the machine does not make the figure.
func (p Plan) budget(size int) time.Duration {
	switch {
	case size >= mib:
		return p.Budget * 2
	case size >= 64*kib:
		return p.Budget * 4 / 3
	}
	return p.Budget
}

// window returns the credit window and ack period, in messages, for size.
func (p Plan) window(size int) (window, ackEvery int) {
	window = min(max(p.WindowBytes/max(size, 1), 8), 4096)
	return window, max(window/4, 1)
}

// Restrict keeps the scenarios (ScenarioFlags names) and payload sizes
// listed, each a comma-separated list; empty keeps all. Sizes outside the
// plan get the counts of the next smaller planned size.
func (p *Plan) Restrict(scenarios, payloads string) error {
	if scenarios != "" {
		p.Only = map[string]bool{}
		for _, name := range strings.Split(scenarios, ",") {
			sc, ok := ScenarioFlags[name]
			if !ok {
				return fmt.Errorf("unknown scenario %q", name)
			}
			p.Only[sc] = true
		}
	}
	if payloads != "" {
		var sizes []int
		for _, f := range strings.Split(payloads, ",") {
			n, err := strconv.Atoi(f)
			if err != nil || n <= 0 {
				return fmt.Errorf("bad payload size %q", f)
			}
			if _, ok := p.OneWayN[n]; !ok {
				like := p.Payloads[0]
				for _, q := range p.Payloads {
					if q <= n {
						like = q
					}
				}
				p.OneWayN[n], p.SeqN[n], p.ParN[n] = p.OneWayN[like], p.SeqN[like], p.ParN[like]
			}
			sizes = append(sizes, n)
		}
		p.Payloads = sizes
	}
	return nil
}
