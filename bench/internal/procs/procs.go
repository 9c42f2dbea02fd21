// Package procs holds the bench's helper processes other than workers:
// the ipcbus hub, the NATS server and the raw relay. Each prints a hello
// line (proto.Reply) with its addresses and runs until its stdin closes.
package procs

import (
	"encoding/json"
	"io"
	"os"
	"syscall"

	"github.com/ipcbus/ipcbus/bench/internal/proto"
)

// RaiseFileLimit lifts the soft open-files limit to the hard one; the idle
// connection scenario holds 10,000 sockets. Setting it explicitly also
// keeps it for the children this process starts.
func RaiseFileLimit() error {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return err
	}
	lim.Cur = lim.Max
	return syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
}

// hello announces a started process.
func hello(r proto.Reply) {
	r.Phase = proto.PhaseReady
	r.PID = os.Getpid()
	json.NewEncoder(os.Stdout).Encode(r)
}

// untilStdinCloses blocks until the parent closes our stdin (or dies).
func untilStdinCloses() { io.Copy(io.Discard, os.Stdin) }
