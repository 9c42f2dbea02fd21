package orch

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/ipcbus/ipcbus/bench/internal/proto"
)

// idleWorkerID is the id of the process that holds the idle connections;
// for the raw relay, ids above 7 are never routed to.
const idleWorkerID = 200

// idleMemory starts a fresh hub, opens p.IdleN idle connections to it from
// one worker process and returns the growth of the hub process's resident
// set (VmRSS) per connection. A fresh hub, because one that has carried
// traffic has free heap the new connections would reuse unseen.
func (s System) idleMemory(e *env, p Plan) (float64, error) {
	r, err := s.startHub(e)
	if err != nil {
		return 0, err
	}
	defer r.stop()
	w, err := r.startWorker(idleWorkerID)
	if err != nil {
		return 0, err
	}
	defer w.stop()
	time.Sleep(200 * time.Millisecond)
	before, err := rss(r.hub.pid())
	if err != nil {
		return 0, err
	}
	rr, err := w.call(proto.Command{Op: proto.OpIdle, N: p.IdleN, TimeoutMS: 60000}, 70*time.Second)
	if err != nil {
		return 0, err
	}
	if rr.Count != p.IdleN {
		return 0, fmt.Errorf("%d of %d idle connections opened: %s", rr.Count, p.IdleN, rr.Err)
	}
	// Let the hub finish the handshakes it has read and settle.
	time.Sleep(500 * time.Millisecond)
	after, err := rss(r.hub.pid())
	if err != nil {
		return 0, err
	}
	w.call(proto.Command{Op: proto.OpRelease}, 30*time.Second)
	return float64(after-before) / float64(rr.Count), nil
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
