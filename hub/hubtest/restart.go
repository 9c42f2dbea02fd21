package hubtest

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ipcbus/ipcbus/hub"
)

// Restarter runs a hub that a test stops or kills and starts again on the
// same Unix socket (or TCP port), as a desktop app restarts its hub.
type Restarter struct {
	t      testing.TB
	tcp    bool
	ws     bool // keeps a WebSocket listener (StartRestartableWS)
	cfg    hub.Config
	h      *hub.Hub
	cancel context.CancelFunc
	done   chan error
}

// StartRestartable starts a hub on a Unix socket in a temp dir (cfg's
// listeners are replaced) and stops whichever hub runs at cleanup.
func StartRestartable(t testing.TB, cfg hub.Config) *Restarter {
	t.Helper()
	dir, err := os.MkdirTemp("", "ipcbus-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	cfg.UnixPath, cfg.TCPAddr, cfg.WSAddr = filepath.Join(dir, "hub.sock"), "", ""
	return startRestarter(t, &Restarter{t: t, cfg: cfg})
}

// StartRestartableTCP is StartRestartable on a loopback TCP port, the same
// for every hub started: there the token is checked, as a Unix socket
// checks the peer's credentials instead.
func StartRestartableTCP(t testing.TB, cfg hub.Config) *Restarter {
	t.Helper()
	cfg.UnixPath, cfg.TCPAddr, cfg.WSAddr = "", "127.0.0.1:0", ""
	r := startRestarter(t, &Restarter{t: t, tcp: true, cfg: cfg})
	// Later hubs take the port the first one got.
	r.cfg.TCPAddr = strings.TrimPrefix(r.h.Addr("tcp"), "tcp:")
	return r
}

// StartRestartableWS is StartRestartable with a loopback WebSocket listener
// too (cfg.Web served on it): the first hub picks its port and token
// (cfg.Token, if set), and every hub started later listens on that port
// with that token, so that a page's preload finds it again.
func StartRestartableWS(t testing.TB, cfg hub.Config) *Restarter {
	t.Helper()
	dir, err := os.MkdirTemp("", "ipcbus-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	cfg.UnixPath, cfg.TCPAddr, cfg.WSAddr = filepath.Join(dir, "hub.sock"), "", "127.0.0.1:0"
	r := startRestarter(t, &Restarter{t: t, ws: true, cfg: cfg})
	r.cfg.WSAddr = strings.TrimPrefix(r.h.Addr("ws"), "ws:")
	r.cfg.Token = r.h.Token()
	return r
}

func startRestarter(t testing.TB, r *Restarter) *Restarter {
	r.Start()
	t.Cleanup(func() {
		if r.h != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			r.Stop(ctx)
		}
	})
	return r
}

// Addr is the socket's address, the same for every hub started (without a
// token).
func (r *Restarter) Addr() string {
	if r.tcp {
		return "tcp:" + r.cfg.TCPAddr
	}
	return "unix:" + r.cfg.UnixPath
}

// Hub returns the running hub, nil between a Stop or Kill and a Start.
func (r *Restarter) Hub() *hub.Hub { return r.h }

// StartWith is Start with another configuration (its listeners are
// replaced by the socket or port).
func (r *Restarter) StartWith(cfg hub.Config) {
	r.t.Helper()
	cfg.UnixPath, cfg.TCPAddr, cfg.WSAddr = r.cfg.UnixPath, r.cfg.TCPAddr, ""
	if r.ws {
		cfg.WSAddr, cfg.Token = r.cfg.WSAddr, r.cfg.Token
	}
	r.cfg = cfg
	r.Start()
}

// Start starts a new hub (hub.New) on the socket.
func (r *Restarter) Start() {
	r.t.Helper()
	if r.h != nil {
		r.t.Fatal("hubtest: Start while a hub runs")
	}
	cfg := r.cfg
	if cfg.Logger == nil {
		cfg.Logger = testLogger()
	}
	h, err := hub.New(cfg)
	if err != nil {
		r.t.Fatal(err)
	}
	if err := h.Listen(); err != nil {
		r.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.Serve(ctx) }()
	r.h, r.cancel, r.done = h, cancel, done
}

// Stop shuts the hub down (lame duck) and waits for it.
func (r *Restarter) Stop(ctx context.Context) {
	r.t.Helper()
	if err := r.h.Shutdown(ctx); err != nil {
		r.t.Errorf("hub shutdown: %v", err)
	}
	r.reap()
}

// Kill stops the hub as a crash would: connections and listeners closed
// at once, without a close frame.
func (r *Restarter) Kill() {
	r.t.Helper()
	r.h.Kill()
	r.reap()
}

func (r *Restarter) reap() {
	r.cancel()
	// ErrClosed: stopped before Serve got going.
	if err := <-r.done; err != nil && !errors.Is(err, hub.ErrClosed) {
		r.t.Errorf("hub serve: %v", err)
	}
	r.h = nil
}
