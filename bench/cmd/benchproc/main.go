// Command benchproc is the bench's helper process: an ipcbus hub, a NATS
// server, a raw relay, or a worker, as its first argument says. The bench
// orchestrator (cmd/bench) builds and starts it; it is not meant for hands.
package main

import (
	"fmt"
	"os"

	"github.com/ipcbus/ipcbus/bench/internal/procs"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: benchproc hub|nats|relay|worker [flags]")
		os.Exit(2)
	}
	procs.RaiseFileLimit()
	run := map[string]func([]string) error{
		"hub":    procs.Hub,
		"nats":   procs.NATS,
		"relay":  procs.Relay,
		"worker": procs.Worker,
	}[os.Args[1]]
	if run == nil {
		fmt.Fprintf(os.Stderr, "benchproc: unknown role %q\n", os.Args[1])
		os.Exit(2)
	}
	if err := run(os.Args[2:]); err != nil {
		fmt.Fprintf(os.Stderr, "benchproc %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}
