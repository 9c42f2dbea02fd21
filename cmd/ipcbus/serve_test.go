package main

import (
	"bufio"
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestServeParentStdin: with --parent-stdin the hub stops, and serve
// returns, once its stdin ends, as it does when the parent holding the pipe
// dies.
func TestServeParentStdin(t *testing.T) {
	pr, pw := io.Pipe()
	serveStdin = pr
	t.Cleanup(func() { serveStdin = nil })
	sock := filepath.Join(t.TempDir(), "hub.sock")
	outR, outW := io.Pipe()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--unix", sock, "--tcp", "", "--parent-stdin"}, outW)
		outW.Close()
	}()
	sc := bufio.NewScanner(outR)
	if !sc.Scan() || !strings.Contains(sc.Text(), "running") {
		t.Fatalf("serve did not start: %q", sc.Text())
	}
	go func() {
		for sc.Scan() {
		}
	}()
	select {
	case code := <-done:
		t.Fatalf("serve exited (%d) before its stdin ended", code)
	case <-time.After(100 * time.Millisecond):
	}
	pw.Close()
	select {
	case code := <-done:
		if code != exitOK {
			t.Errorf("serve exited %d, want %d", code, exitOK)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("serve still running 5 s after its stdin ended")
	}
}
