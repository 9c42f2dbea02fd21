// Command bench measures ipcbus beside electron-common-ipc, NATS and raw
// sockets on this machine, and prints (and writes) the comparison.
//
//	cd bench && go run ./cmd/bench          # full run, ~4 minutes
//	cd bench && go run ./cmd/bench -smoke   # tiny run for make test
package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/ipcbus/ipcbus/bench/internal/orch"
	"github.com/ipcbus/ipcbus/bench/internal/procs"
)

func main() {
	smoke := flag.Bool("smoke", false, "tiny run of every system and scenario; fails if any figure fails")
	systems := flag.String("systems", "", "comma-separated systems or families to run (default all)")
	runs := flag.Int("runs", 0, "runs per figure (default 3, smoke 1)")
	out := flag.String("out", "", "directory for results.csv and chart.svg (default results for a full, unrestricted run)")
	doc := flag.String("doc", "", "Markdown file whose bench section is rewritten (default ../docs/performance.md for a full, unrestricted run)")
	scenarios := flag.String("scenarios", "", "comma-separated subset of oneway,fanout,reqseq,reqpar,connect,idle,big (default all)")
	payloads := flag.String("payloads", "", "comma-separated payload sizes in bytes (default the plan's)")
	cpuprofile := flag.String("cpuprofile", "", "directory where every Go helper process writes a CPU profile (ROLE-PID.pprof)")
	browserTrace := flag.Bool("browser-trace", false, "also time the segments of a browser round trip in an extra page run, and log them")
	flag.Parse()

	plan := orch.FullPlan()
	if *smoke {
		plan = orch.SmokePlan()
	} else if *systems == "" && *scenarios == "" && *payloads == "" && *runs == 0 {
		// Only a whole run replaces the committed results.
		if *out == "" {
			*out = "results"
		}
		if *doc == "" {
			*doc = "../docs/performance.md"
		}
	}
	if *runs > 0 {
		plan.Runs = *runs
	}
	if err := plan.Restrict(*scenarios, *payloads); err != nil {
		fatal(err)
	}
	plan.BrowserTrace = *browserTrace
	sel, err := orch.SelectSystems(*systems)
	if err != nil {
		fatal(err)
	}
	if err := orch.CheckBrowser(sel); err != nil {
		fatal(err)
	}
	procs.RaiseFileLimit()
	if *cpuprofile != "" {
		if err := os.MkdirAll(*cpuprofile, 0o755); err != nil {
			fatal(err)
		}
		os.Setenv("BENCH_CPUPROFILE_DIR", *cpuprofile)
	}
	start := time.Now()
	e, cleanup, err := orch.Setup(".", os.Stderr)
	if err != nil {
		fatal(err)
	}
	err = measure(e, plan, sel, start, *out, *doc)
	cleanup() // before os.Exit, which runs no deferred calls
	if err != nil {
		fatal(err)
	}
}

// measure runs the plan and writes what was asked.
func measure(e *orch.Env, plan orch.Plan, sel []orch.System, start time.Time, out, doc string) error {
	info := orch.Machine(start)
	fmt.Printf("ipcbus bench: %s\n", info)
	rs := orch.Run(plan, sel, e, os.Stderr)
	info.Finish()
	orch.PrintTables(os.Stdout, rs, sel, plan)
	fmt.Printf("\nload average at start %s, at end %s; %d runs per figure; took %s\n", info.LoadStart, info.LoadEnd, plan.Runs, info.Took.Round(time.Second))
	if out != "" {
		if err := orch.WriteFiles(out, rs, sel, plan, info); err != nil {
			return err
		}
	}
	if doc != "" {
		if err := orch.WriteDoc(doc, rs, sel, plan, info); err != nil {
			return err
		}
	}
	if failed := rs.Failed(); len(failed) > 0 {
		return fmt.Errorf("%d figures failed (listed above)", len(failed))
	}
	return nil
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "bench:", err)
	os.Exit(1)
}
