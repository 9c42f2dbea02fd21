package hub

import (
	"context"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ipcbus/ipcbus/shared/bus"
	"github.com/ipcbus/ipcbus/shared/stream"
	"github.com/ipcbus/ipcbus/shared/wire"
)

// flakyListener fails its first fails accepts with EMFILE, as a process
// out of file descriptors does.
type flakyListener struct {
	net.Listener
	fails atomic.Int32
}

func (l *flakyListener) Accept() (net.Conn, error) {
	if l.fails.Add(-1) >= 0 {
		return nil, &net.OpError{Op: "accept", Net: "unix", Err: os.NewSyscallError("accept4", syscall.EMFILE)}
	}
	return l.Listener.Accept()
}

// TestAcceptSurvivesEMFILE: a listener whose accepts fail (EMFILE) backs
// off and keeps accepting; a client connects once descriptors are back.
func TestAcceptSurvivesEMFILE(t *testing.T) {
	dir := t.TempDir()
	h, err := New(Config{UnixPath: filepath.Join(dir, "hub.sock"), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Listen(); err != nil {
		t.Fatal(err)
	}
	flaky := &flakyListener{Listener: h.listeners["unix"].Listener}
	flaky.fails.Store(8) // 5+10+20+40+80+160+320+640 ms of back-off at most
	h.listeners["unix"].Listener = flaky
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.Serve(ctx) }()
	defer func() {
		cancel()
		<-done
	}()

	dctx, dcancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer dcancel()
	dial := func(ctx context.Context) (bus.Transport, error) {
		var d net.Dialer
		nc, err := d.DialContext(ctx, "unix", filepath.Join(dir, "hub.sock"))
		if err != nil {
			return nil, err
		}
		return stream.New(nc, wire.DefaultMaxFrameBytes, time.Second), nil
	}
	c := bus.NewClient(dial, &bus.Options{Name: "after-emfile", ConnectTimeout: 10 * time.Second})
	defer c.Close()
	if err := c.Connect(dctx); err != nil {
		t.Fatalf("connect after failed accepts: %v", err)
	}
	if n := flaky.fails.Load(); n >= 0 {
		t.Fatalf("%d failures left: the test did not exercise them", n+1)
	}
	if got := h.Refused(); got != 8 {
		t.Fatalf("%d failed accepts counted, want 8", got)
	}
}
