// Package hubtest starts hubs and clients for tests, as net/http/httptest
// does for servers.
package hubtest

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ipcbus/ipcbus/hub"
	"github.com/ipcbus/ipcbus/nativeclient"
	"github.com/ipcbus/ipcbus/shared/bus"
)

// Start runs a hub for the test on a Unix socket in a temp dir (unless cfg
// names listeners) and shuts it down at cleanup. Its logs go to the test's
// log when IPCBUS_TEST_LOG is set.
func Start(t testing.TB, cfg hub.Config) *hub.Hub {
	t.Helper()
	if cfg.UnixPath == "" && cfg.TCPAddr == "" {
		dir, err := os.MkdirTemp("", "ipcbus-test-")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(dir) })
		cfg.UnixPath = filepath.Join(dir, "hub.sock")
	}
	if cfg.Logger == nil {
		cfg.Logger = testLogger()
	}
	h, err := hub.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Listen(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.Serve(ctx) }()
	t.Cleanup(func() {
		sctx, scancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer scancel()
		if err := h.Shutdown(sctx); err != nil {
			t.Errorf("hub shutdown: %v", err)
		}
		cancel()
		// ErrClosed: the test ended before Serve began.
		if err := <-done; err != nil && !errors.Is(err, hub.ErrClosed) {
			t.Errorf("hub serve: %v", err)
		}
	})
	return h
}

// testLogger logs to stderr when IPCBUS_TEST_LOG is set.
func testLogger() *slog.Logger {
	var w io.Writer = io.Discard
	if os.Getenv("IPCBUS_TEST_LOG") != "" {
		w = os.Stderr
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// Addr returns the hub's Unix address, or its TCP one with the token when
// it has no Unix listener.
func Addr(h *hub.Hub) string {
	if a := h.Addr("unix"); a != "" {
		return a
	}
	return h.ConnectAddr("tcp")
}

// Dial connects a client named name to h and closes it at cleanup.
func Dial(t testing.TB, h *hub.Hub, name string, opts *bus.Options) *bus.Client {
	t.Helper()
	var o bus.Options
	if opts != nil {
		o = *opts
	}
	o.Name = name
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := nativeclient.Dial(ctx, Addr(h), &o)
	if err != nil {
		t.Fatalf("dial %s: %v", name, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// Eventually waits for cond, polling, and fails the test after timeout.
func Eventually(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}
