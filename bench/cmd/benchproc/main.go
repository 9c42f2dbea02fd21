// Command benchproc is the bench's helper process: an ipcbus hub, a NATS
// server, a raw relay, a worker, or the browser bench's WebSocket echo
// server, as its first argument says. The bench orchestrator (cmd/bench)
// builds and starts it; it is not meant for hands.
//
// With BENCH_CPUPROFILE_DIR set it writes a CPU profile of its whole life
// there, as ROLE-PID.pprof.
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime/pprof"

	"github.com/ipcbus/ipcbus/bench/internal/procs"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: benchproc hub|nats|relay|worker|echo [flags]")
		os.Exit(2)
	}
	procs.RaiseFileLimit()
	run := map[string]func([]string) error{
		"hub":    procs.Hub,
		"nats":   procs.NATS,
		"relay":  procs.Relay,
		"worker": procs.Worker,
		"echo":   procs.Echo,
	}[os.Args[1]]
	if run == nil {
		fmt.Fprintf(os.Stderr, "benchproc: unknown role %q\n", os.Args[1])
		os.Exit(2)
	}
	if err := profiled(os.Args[1], func() error { return run(os.Args[2:]) }); err != nil {
		fmt.Fprintf(os.Stderr, "benchproc %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}

func profiled(role string, fn func() error) error {
	dir := os.Getenv("BENCH_CPUPROFILE_DIR")
	if dir == "" {
		return fn()
	}
	f, err := os.Create(filepath.Join(dir, fmt.Sprintf("%s-%d.pprof", role, os.Getpid())))
	if err != nil {
		return err
	}
	defer f.Close()
	if err := pprof.StartCPUProfile(f); err != nil {
		return err
	}
	defer pprof.StopCPUProfile()
	return fn()
}
