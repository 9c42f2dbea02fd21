package orch

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ipcbus/ipcbus/bench/internal/proto"
)

// idleWorkerID is the id of the process that holds the idle connections;
// for the raw relay, ids above 7 are never routed to.
const idleWorkerID = 200

// idleProcs is how many worker processes open the idle connections
// between them: the client side of a 10,000-connection burst is heavy
// (Node's especially), and two processes use both cores.
const idleProcs = 2

// idleMemory starts a fresh hub, opens p.IdleN idle connections to it from
// worker processes and returns the growth of the hub process's resident
// set (VmRSS) per connection. A fresh hub, because one that has carried
// traffic has free heap the new connections would reuse unseen.
func (s System) idleMemory(e *Env, p Plan) (float64, error) {
	r, err := s.startHub(e)
	if err != nil {
		return 0, err
	}
	defer r.stop()
	ws := make([]*proc, idleProcs)
	errs := make([]error, idleProcs)
	var wg sync.WaitGroup
	for i := range ws {
		wg.Go(func() { ws[i], errs[i] = r.startWorker(idleWorkerID + i) })
	}
	wg.Wait()
	for _, w := range ws {
		if w != nil {
			defer w.stop()
		}
	}
	if err := errors.Join(errs...); err != nil {
		return 0, err
	}
	// A warm-up batch first, parked and settled before the figure's
	// baseline: what the first connections cost once (heap arenas, the
	// parker, the stacks of the readers that run until their connections
	// park, none of which the hub hands back to the OS) is not a cost per
	// connection.
	warm, err := openIdle(ws, idleWarm(p.IdleN), 0)
	if err != nil {
		return 0, err
	}
	time.Sleep(idleSettle)
	before, err := rss(r.hub.pid())
	if err != nil {
		return 0, err
	}
	held, err := openIdle(ws, p.IdleN, warm)
	if err != nil {
		return 0, err
	}
	opened := held - warm
	// Let the hub finish the handshakes it has read, park the connections
	// (hub.parkAfter, 100 ms after their last read) and settle.
	time.Sleep(idleSettle)
	after, err := rss(r.hub.pid())
	if err != nil {
		return 0, err
	}
	return float64(after-before) / float64(opened), nil
}

// idleSettle is how long the hub is left after a batch of idle connections
// is open: well past the 100 ms after which ipcbus parks a quiet one.
const idleSettle = 500 * time.Millisecond

// idleWarm is the size of the warm-up batch of idle connections.
func idleWarm(n int) int { return max(n/4, 100) }

// openIdle has the workers ws, which hold had idle connections between
// them, open n more, and returns how many they hold; fewer is an error.
func openIdle(ws []*proc, n, had int) (int, error) {
	replies := make([]proto.Reply, len(ws))
	errs := make([]error, len(ws))
	var wg sync.WaitGroup
	for i, w := range ws {
		k := n / len(ws)
		if i == 0 {
			k += n % len(ws)
		}
		wg.Go(func() {
			replies[i], errs[i] = w.call(proto.Command{Op: proto.OpIdle, N: k, TimeoutMS: 60000}, 70*time.Second)
		})
	}
	wg.Wait()
	err := errors.Join(errs...)
	if err != nil {
		return 0, err
	}
	held := 0
	for _, rr := range replies {
		held += rr.Count
		if rr.Err != "" {
			err = errors.Join(err, errors.New(rr.Err))
		}
	}
	if held != had+n {
		return held, fmt.Errorf("%d of %d idle connections opened: %v", held-had, n, err)
	}
	return held, nil
}

// rss returns a process's resident set size in bytes.
func rss(pid int) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("no VmRSS for pid %d", pid)
}

// loadAvg returns /proc/loadavg's first three fields.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// clockTicks is the kernel's USER_HZ, the unit of /proc/PID/stat times.
const clockTicks = 100

// cpuTime returns the user plus system CPU time a process has used.
func cpuTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name (field 2) may hold spaces: count from its ')'.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, fmt.Errorf("bad /proc/%d/stat", pid)
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0, fmt.Errorf("bad /proc/%d/stat", pid)
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("bad /proc/%d/stat", pid)
	}
	return time.Duration(utime+stime) * time.Second / clockTicks, nil
}
