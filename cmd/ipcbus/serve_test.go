package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"log/slog"
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

// TestServeLogFormat: --log-format json logs one JSON object a line, text
// key=value pairs; another format is a usage error.
func TestServeLogFormat(t *testing.T) {
	var b strings.Builder
	l, err := newLogger(&b, "json", slog.LevelInfo)
	if err != nil {
		t.Fatal(err)
	}
	l.Info("connection lost", "conn", 3, "peers", "main#1(main pid 42)")
	var line map[string]any
	if err := json.Unmarshal([]byte(b.String()), &line); err != nil || line["msg"] != "connection lost" || line["peers"] != "main#1(main pid 42)" {
		t.Errorf("json log line %q (%v)", b.String(), err)
	}
	b.Reset()
	if l, _ = newLogger(&b, "text", slog.LevelInfo); l != nil {
		l.Info("connection lost", "conn", 3)
	}
	if !strings.Contains(b.String(), `msg="connection lost" conn=3`) {
		t.Errorf("text log line %q", b.String())
	}
	sock := filepath.Join(t.TempDir(), "hub.sock")
	if _, errs, code := runErr(t, "serve", "--unix", sock, "--log-format", "xml"); code != exitUsage || !strings.Contains(errs, "--log-format") {
		t.Errorf("--log-format xml: exit %d, stderr %q", code, errs)
	}
}
