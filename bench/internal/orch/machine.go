package orch

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"
)

// Info describes the machine and the run.
type Info struct {
	Start     time.Time
	CPUs      int
	CPU       string
	Go, Node  string
	Chromium  string // its --version, when there is one
	LoadStart string
	LoadEnd   string
	Took      time.Duration
}

// Machine records what the run is on, and the load average before it.
func Machine(start time.Time) *Info {
	i := &Info{Start: start, CPUs: runtime.NumCPU(), Go: runtime.Version(), LoadStart: loadAvg()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, "model name"); ok {
				i.CPU = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
				break
			}
		}
	}
	if b, err := exec.Command("node", "--version").Output(); err == nil {
		i.Node = strings.TrimSpace(string(b))
	}
	if b, err := exec.Command(Chromium(), "--version").Output(); err == nil {
		i.Chromium = strings.TrimSpace(string(b))
	}
	return i
}

// Finish records the load average after the run and its duration.
func (i *Info) Finish() {
	i.LoadEnd = loadAvg()
	i.Took = time.Since(i.Start)
}

func (i *Info) String() string {
	return fmt.Sprintf("%d CPUs (%s), %s, node %s, load average %s", i.CPUs, i.CPU, i.Go, i.Node, i.LoadStart)
}
