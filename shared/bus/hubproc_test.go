//go:build !js

package bus_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ipcbus/ipcbus/hub"
)

// A hub in a process of its own, for the tests that kill it (SIGKILL) or
// stop it (SIGTERM, lame duck): the test binary run again with hubProcEnv
// set to the socket path (TestMain sees it).
const hubProcEnv = "IPCBUS_TEST_HUB_PROCESS"

// runHubProcess serves a hub on path until SIGTERM, printing its
// goroutines every second; it returns the exit code.
func runHubProcess(path string) int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	h, err := hub.New(hub.Config{UnixPath: path})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	go func() {
		tk := time.NewTicker(time.Second)
		defer tk.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tk.C:
				fmt.Printf("hubstat goroutines=%d\n", runtime.NumGoroutine())
			}
		}
	}()
	if err := h.Serve(ctx); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

type hubProc struct {
	cmd        *exec.Cmd
	goroutines atomic.Int64 // as it last printed
	done       chan struct{}
}

// startHubProc starts a hub process on path and waits until it accepts.
func startHubProc(t testing.TB, path string) *hubProc {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), hubProcEnv+"="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	h := &hubProc{cmd: cmd, done: make(chan struct{})}
	go func() {
		defer close(h.done)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if v, ok := strings.CutPrefix(sc.Text(), "hubstat goroutines="); ok {
				n, _ := strconv.Atoi(v)
				h.goroutines.Store(int64(n))
			}
		}
		cmd.Wait()
	}()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.Dial("unix", path)
		if err == nil {
			c.Close()
			return h
		}
		if time.Now().After(deadline) {
			h.stop(true)
			t.Fatalf("the hub process does not listen on %s: %v", path, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// stop kills the process (SIGKILL) or asks it to stop (SIGTERM), and waits.
func (h *hubProc) stop(kill bool) {
	if kill {
		h.cmd.Process.Kill()
	} else {
		h.cmd.Process.Signal(syscall.SIGTERM)
	}
	<-h.done
}

// rssKB returns a process's resident set, from /proc.
func rssKB(pid int) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return -1
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmRSS:" {
			n, _ := strconv.Atoi(f[1])
			return n
		}
	}
	return -1
}
