package hub_test

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ipcbus/ipcbus/hub"
	"github.com/ipcbus/ipcbus/hub/hubtest"
	"github.com/ipcbus/ipcbus/shared/bus"
)

func TestUnixSocketModeStaleAndLive(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "hub.sock")

	// A stale socket file (nobody listening) is replaced.
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	l.(*net.UnixListener).SetUnlinkOnClose(false)
	l.Close()
	if _, err := os.Stat(path); err != nil {
		t.Fatal("stale socket file should exist for the test:", err)
	}
	h := hubtest.Start(t, hub.Config{UnixPath: path})
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if mode := fi.Mode().Perm(); mode != 0o600 {
		t.Fatalf("socket mode %o, want 600", mode)
	}
	c, err := nativeDial(h, nil)
	if err != nil {
		t.Fatal(err)
	}
	c.Close()

	// A live one is refused with a clear error.
	h2, err := hub.New(hub.Config{UnixPath: path})
	if err != nil {
		t.Fatal(err)
	}
	if err := h2.Listen(); !errors.Is(err, hub.ErrSocketInUse) {
		t.Fatalf("second hub on a live socket: %v, want ErrSocketInUse", err)
	}

	// A file that is not a socket is left alone.
	plain := filepath.Join(dir, "plain")
	os.WriteFile(plain, []byte("keep me"), 0o600)
	h3, _ := hub.New(hub.Config{UnixPath: plain})
	if err := h3.Listen(); err == nil {
		t.Fatal("listening over a regular file succeeded")
	}
	if b, _ := os.ReadFile(plain); string(b) != "keep me" {
		t.Fatal("a regular file was replaced")
	}
}

func TestTCPBindsLoopbackByDefault(t *testing.T) {
	h := hubtest.Start(t, hub.Config{TCPAddr: ":0"})
	addr := h.Addr("tcp")
	host, _, err := net.SplitHostPort(addr[len("tcp:"):])
	if err != nil || host != "127.0.0.1" {
		t.Fatalf("tcp listener on %q", addr)
	}
	c, err := nativeDial(h, nil)
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
}

func TestConfigNeedsAListener(t *testing.T) {
	if _, err := hub.New(hub.Config{}); err == nil {
		t.Fatal("a hub without listeners was accepted")
	}
}

func TestServeStopsWithItsContext(t *testing.T) {
	h, err := hub.New(hub.Config{UnixPath: filepath.Join(t.TempDir(), "s.sock")})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.Serve(ctx) }()
	hubtest.Eventually(t, 5*time.Second, "listening", func() bool { return h.Addr("unix") != "" })
	c, err := nativeDial(h, &bus.Options{NoReconnect: true}) // it ends with the hub
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Serve: %v", err)
	}
	<-c.Conn().Done()
}
