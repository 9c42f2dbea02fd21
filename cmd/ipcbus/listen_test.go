package main

import (
	"context"
	"encoding/json"
	"io"
	"testing"
	"time"

	"github.com/ipcbus/ipcbus/hub"
	"github.com/ipcbus/ipcbus/hub/hubtest"
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
