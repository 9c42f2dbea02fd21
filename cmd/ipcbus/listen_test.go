package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/ipcbus/ipcbus/hub"
	"github.com/ipcbus/ipcbus/hub/hubtest"
	"github.com/ipcbus/ipcbus/shared/bus"
)

// TestListenRidesThroughAHubRestart: `ipcbus listen` reconnects to the new
// hub on the same socket and prints what is sent there.
func TestListenRidesThroughAHubRestart(t *testing.T) {
	r := hubtest.StartRestartable(t, hub.Config{LameDuckWindow: -1})
	addr := r.Addr()
	heard := background(t, "listen", "--addr", addr, "news")
	waitPeers(t, r.Hub(), "news", 1)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r.Stop(ctx)
	r.Start()
	waitPeers(t, r.Hub(), "news", 1)
	if _, code := runCmd(t, "send", "--addr", addr, "news", `"after the restart"`); code != exitOK {
		t.Fatalf("send exited %d", code)
	}
	var line listenLine
	if err := json.Unmarshal([]byte(nextLine(t, heard)), &line); err != nil {
		t.Fatal(err)
	}
	if len(line.Args) != 1 || line.Args[0] != "after the restart" {
		t.Fatalf("listen printed %+v", line)
	}
}

// TestListenNoReconnectExits: with --no-reconnect, listen exits when the
// hub goes away.
func TestListenNoReconnectExits(t *testing.T) {
	r := hubtest.StartRestartable(t, hub.Config{LameDuckWindow: -1})
	done := make(chan int, 1)
	go func() {
		done <- run(context.Background(), []string{"listen", "--addr", r.Addr(), "--no-reconnect", "news"}, io.Discard)
	}()
	waitPeers(t, r.Hub(), "news", 1)
	r.Kill()
	select {
	case code := <-done:
		if code != exitFailed {
			t.Fatalf("listen exited %d, want %d", code, exitFailed)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("listen --no-reconnect did not exit")
	}
	r.Start() // for the cleanup's shutdown
}

// TestListenReportsWhatItCannotDecode: a payload nested past the decoder's
// depth limit (which used to crash listen at ~1 MB) gets an error line on
// stderr, and listen goes on printing what follows.
func TestListenReportsWhatItCannotDecode(t *testing.T) {
	errs := &lockedBuffer{}
	old := stderr
	stderr = errs
	t.Cleanup(func() { stderr = old }) // after listen has stopped
	h := hubtest.Start(t, hub.Config{})
	addr := hubtest.Addr(h)
	heard := background(t, "listen", "--addr", addr, "news")
	waitPeers(t, h, "news", 1)
	sender := hubtest.Dial(t, h, "sender", nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	deep := append(bytes.Repeat([]byte{0x91}, 1<<20), 0xc0)
	if err := sender.SendRaw(ctx, bus.Target{}, "news", deep); err != nil {
		t.Fatal(err)
	}
	if err := sender.Send(ctx, "news", "still listening"); err != nil {
		t.Fatal(err)
	}
	var line listenLine
	if err := json.Unmarshal([]byte(nextLine(t, heard)), &line); err != nil {
		t.Fatal(err)
	}
	if len(line.Args) != 1 || line.Args[0] != "still listening" {
		t.Fatalf("listen printed %+v", line)
	}
	var s string
	hubtest.Eventually(t, 5*time.Second, "the error line", func() bool {
		s += errs.take()
		return strings.Contains(s, "could not be decoded")
	})
	if !strings.Contains(s, `on "news" from peer`) || !strings.Contains(s, "nested too deep") {
		t.Fatalf("stderr: %q", s)
	}
}
