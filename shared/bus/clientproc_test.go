//go:build !js

package bus_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ipcbus/ipcbus/nativeclient"
	"github.com/ipcbus/ipcbus/shared/bus"
)

// A client in a process of its own, for the chaos test with client
// processes: the test binary run again with clientProcEnv set to the hub's
// address and clientNameEnv to its peer name (TestMain sees it). It makes
// requests on chaos/echo until its stdin ends, answers chaos/echo with its
// name and chaos/whoami/NAME with its peer as it knows it, and prints one
// line as it ends: "summary " and a clientSummary in JSON.
const (
	clientProcEnv = "IPCBUS_TEST_CLIENT_PROCESS"
	clientNameEnv = "IPCBUS_TEST_CLIENT_NAME"
	chaosDeadline = 300 * time.Millisecond
	// chaosSlack is how late past its deadline a request may settle on a
	// loaded machine (-race, 20 processes on 2 cores) before it counts as
	// hung: not a speed test.
	chaosSlack = 5 * time.Second
)

type clientSummary struct {
	Outcomes map[string]int `json:"outcomes"`
	Late     []string       `json:"late"`
	Status   string         `json:"status"`
	Peer     bus.Peer       `json:"peer"`
}

// outcomeOf names how a chaos request ended.
func outcomeOf(err error) string {
	switch {
	case err == nil:
		return "ok"
	case errors.Is(err, bus.ErrDisconnected):
		return "disconnected"
	case errors.Is(err, bus.ErrTimeout):
		return "timeout"
	case errors.Is(err, bus.ErrNoListener), errors.Is(err, bus.ErrResponderGone):
		return "no responder yet"
	}
	return "other: " + err.Error()
}

// runClientProcess is a client process's main; it returns the exit code.
func runClientProcess(addr, name string) int {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cl, err := nativeclient.Dial(ctx, addr, &bus.Options{Name: name, ReconnectWait: 10 * time.Millisecond,
		MaxReconnectWait: 100 * time.Millisecond, ReconnectJitter: 20 * time.Millisecond, MaxReconnects: -1})
	if err != nil {
		fmt.Fprintln(os.Stderr, "client process:", err)
		return 1
	}
	defer cl.Close()
	cl.On("chaos/echo", func(e *bus.Event) { e.Request.Resolve(name) })
	cl.On("chaos/whoami/"+name, func(e *bus.Event) { e.Request.Resolve(cl.Peer()) })
	fmt.Println("ready")

	sum := clientSummary{Outcomes: map[string]int{}}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for n := 0; ; n++ {
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond): // paced: 20 processes share 2 cores
			}
			rctx, cancel := context.WithTimeout(context.Background(), chaosDeadline)
			begin := time.Now()
			_, err := cl.Request(rctx, "chaos/echo", n)
			took := time.Since(begin)
			cancel()
			sum.Outcomes[outcomeOf(err)]++
			if took > chaosDeadline+chaosSlack {
				sum.Late = append(sum.Late, fmt.Sprintf("%s request %d took %v (%v)", name, n, took, err))
			}
		}
	}()
	_, _ = io.Copy(io.Discard, os.Stdin)
	close(stop)
	wg.Wait()
	sum.Status, sum.Peer = cl.Status().Name(), cl.Peer()
	b, _ := json.Marshal(sum)
	fmt.Printf("summary %s\n", b)
	return 0
}

// clientProc is a client process seen from the test.
type clientProc struct {
	name    string
	cmd     *exec.Cmd
	stdin   io.WriteCloser
	ready   chan struct{}
	done    chan struct{} // closed once it exited
	summary *clientSummary
}

// startClientProc starts a client process named name on addr; waitReady
// waits until it is connected.
func startClientProc(t *testing.T, addr, name string) *clientProc {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), clientProcEnv+"="+addr, clientNameEnv+"="+name)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &clientProc{name: name, cmd: cmd, stdin: stdin, ready: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(p.done)
		sc := bufio.NewScanner(out)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			line := sc.Text()
			if line == "ready" {
				close(p.ready)
			} else if v, ok := strings.CutPrefix(line, "summary "); ok {
				var s clientSummary
				if json.Unmarshal([]byte(v), &s) == nil {
					p.summary = &s
				}
			}
		}
		cmd.Wait()
	}()
	t.Cleanup(func() {
		p.stdin.Close()
		select {
		case <-p.done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

func (p *clientProc) waitReady(t *testing.T) {
	t.Helper()
	select {
	case <-p.ready:
	case <-p.done:
		t.Fatalf("client process %s exited before it was ready", p.name)
	case <-time.After(60 * time.Second):
		t.Fatalf("client process %s: not ready after 60 s", p.name)
	}
}

// end tells the process to end (its stdin closes).
func (p *clientProc) end() { p.stdin.Close() }

// finish ends the process and returns its summary.
func (p *clientProc) finish(t *testing.T) *clientSummary {
	t.Helper()
	p.end()
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		t.Fatalf("client process %s did not end", p.name)
	}
	if p.summary == nil {
		t.Fatalf("client process %s ended without its summary (exit %v)", p.name, p.cmd.ProcessState)
	}
	return p.summary
}
