package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/ipcbus/ipcbus/hub"
	"github.com/ipcbus/ipcbus/hub/hubtest"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// background runs a long-lived command (listen) and returns its output
// lines as they come; it stops at cleanup.
func background(t *testing.T, args ...string) <-chan string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	go func() { done <- run(ctx, args, pw); pw.Close() }()
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	t.Cleanup(func() {
		cancel()
		if code := <-done; code != exitOK {
			t.Errorf("%v exited %d", args, code)
		}
		for range lines {
		}
	})
	return lines
}

func runCmd(t *testing.T, args ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var out bytes.Buffer
	code := run(ctx, args, &out)
	return out.String(), code
}

func nextLine(t *testing.T, lines <-chan string) string {
	t.Helper()
	select {
	case l := <-lines:
		return l
	case <-time.After(5 * time.Second):
		t.Fatal("no output within 5 s")
		return ""
	}
}

func waitPeers(t *testing.T, h *hub.Hub, channel string, n int) {
	t.Helper()
	hubtest.Eventually(t, 5*time.Second, "listeners on "+channel, func() bool {
		for _, c := range h.State().Channels {
			if c.Channel == channel {
				return c.Peers == n
			}
		}
		return false
	})
}

// TestCLIWalkthrough is the README's walkthrough: listen in one shell,
// send from another, request against a replying listener, print state.
func TestCLIWalkthrough(t *testing.T) {
	h := hubtest.Start(t, hub.Config{})
	addr := hubtest.Addr(h)
	heard := background(t, "listen", "--addr", addr, "greeting")
	background(t, "listen", "--addr", addr, "--reply", `"thanks"`, "question")
	waitPeers(t, h, "greeting", 1)
	waitPeers(t, h, "question", 1)

	if out, code := runCmd(t, "send", "--addr", addr, "greeting", `"hello"`, `{"n":1,"list":[1.5,null]}`); code != exitOK {
		t.Fatalf("send exited %d: %s", code, out)
	}
	var line struct {
		Channel string
		Sender  struct{ Name string }
		Args    []any
	}
	if err := json.Unmarshal([]byte(nextLine(t, heard)), &line); err != nil {
		t.Fatal(err)
	}
	if line.Channel != "greeting" || line.Sender.Name != "ipcbus-send" || line.Args[0] != "hello" {
		t.Fatalf("listen printed %+v", line)
	}
	if m, _ := line.Args[1].(map[string]any); m["n"] != 1.0 {
		t.Fatalf("second arg %#v", line.Args[1])
	}

	out, code := runCmd(t, "request", "--addr", addr, "question", `"hi"`)
	if code != exitOK || strings.TrimSpace(out) != `"thanks"` {
		t.Fatalf("request printed %q, exit %d", out, code)
	}
	if _, code := runCmd(t, "request", "--addr", addr, "--timeout", "200ms", "nobody"); code != exitFailed {
		t.Fatalf("request without listener exited %d, want %d", code, exitFailed)
	}

	out, code = runCmd(t, "state", "--addr", addr)
	if code != exitOK {
		t.Fatalf("state exited %d", code)
	}
	var st hub.State
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatalf("state output: %v\n%s", err, out)
	}
	subs := map[string]bool{}
	for _, c := range st.Connections {
		for _, p := range c.Peers {
			for _, s := range p.Subscriptions {
				subs[p.Name+" "+s] = true
			}
		}
	}
	if !subs["ipcbus-listen greeting"] || !subs["ipcbus-listen question"] {
		t.Fatalf("state does not show both listeners: %s", out)
	}
}

func TestCLIErrors(t *testing.T) {
	if _, code := runCmd(t, "nonsense"); code != exitUsage {
		t.Errorf("unknown command exited %d", code)
	}
	if _, code := runCmd(t, "send", "--addr", "unix:/nonexistent/ipcbus.sock", "ch", "not json"); code != exitUsage {
		t.Errorf("non-JSON arg exited %d", code)
	}
	if _, code := runCmd(t, "send", "--addr", "unix:/nonexistent/ipcbus.sock", "ch"); code != exitFailed {
		t.Errorf("unreachable hub exited %d", code)
	}
}
