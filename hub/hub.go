package hub

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ipcbus/ipcbus/shared/wire"
)

// Hub is an ipcbus server. Make one with New; it is safe for concurrent use.
type Hub struct {
	cfg Config
	log *slog.Logger

	mu        sync.Mutex
	listeners map[string]*guardedListener // by kind: "unix", "tcp", "ws"
	tokenFile bool                        // written by Listen, removed by Shutdown
	conns     map[*conn]struct{}
	closing   bool
	quit      chan struct{} // closed by Shutdown
	wg        sync.WaitGroup

	nextConn     atomic.Uint64
	nextPeer     atomic.Uint64
	pendingHello atomic.Int64 // connections that have not said hello yet
	refusals     refusals

	router   router
	requests requests
	ports    ports
	services services     // services seen starting (services.go)
	token    string       // required of TCP and WebSocket connections
	origins  []string     // browser origins allowed to upgrade
	http     *http.Server // the WebSocket listener's server
	self     []byte       // the hub's own peer, encoded, as the sender of its answers
}

// New validates cfg and returns a hub that is not yet listening.
func New(cfg Config) (*Hub, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	h := &Hub{
		cfg:       cfg,
		log:       cfg.Logger.With("hub", cfg.Name),
		listeners: make(map[string]*guardedListener),
		conns:     make(map[*conn]struct{}),
		quit:      make(chan struct{}),
	}
	if h.token = cfg.Token; h.token == "" {
		h.token = randomToken()
	}
	h.router.init()
	h.requests.init()
	h.self = wire.AppendPeer(nil, wire.Peer{Name: cfg.Name, Process: wire.Process{Type: "hub", PID: os.Getpid()}})
	return h, nil
}

// Listen binds the configured listeners. Serve calls it if needed; call it
// first to learn the addresses (Addr) before serving, or to report a busy
// socket early.
func (h *Hub) Listen() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closing {
		return ErrClosed
	}
	if len(h.listeners) > 0 {
		return nil
	}
	if err := h.listenLocked(); err != nil {
		h.closeListenersLocked()
		return err
	}
	return nil
}

func (h *Hub) listenLocked() error {
	if h.cfg.UnixPath != "" {
		l, err := listenUnix(h.cfg.UnixPath)
		if err != nil {
			return err
		}
		h.listeners["unix"] = h.guard("unix", l)
	}
	if h.cfg.TCPAddr != "" {
		l, err := h.listenTCP("tcp", h.cfg.TCPAddr)
		if err != nil {
			return err
		}
		h.listeners["tcp"] = h.guard("tcp", l)
	}
	if h.cfg.WSAddr != "" {
		l, err := h.listenTCP("ws", h.cfg.WSAddr)
		if err != nil {
			return err
		}
		h.listeners["ws"] = h.guard("ws", l)
		h.http = h.newHTTPServer(l.Addr().(*net.TCPAddr).Port)
	}
	return h.writeTokenFileLocked()
}

// Addr returns the address a listener is bound to ("unix", "tcp" or "ws"),
// as "unix:/path", "tcp:127.0.0.1:PORT" or "ws:127.0.0.1:PORT", or "" when
// that listener is not bound. ConnectAddr adds the token.
func (h *Hub) Addr(kind string) string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.addrLocked(kind)
}

func (h *Hub) addrLocked(kind string) string {
	l := h.listeners[kind]
	if l == nil {
		return ""
	}
	return kind + ":" + l.Addr().String()
}

// ConnectAddr returns the address a client is given to connect to a
// listener, as nativeclient.Dial takes it: "unix:/path",
// "tcp:127.0.0.1:PORT?token=T" or the WebSocket URL (WSURL); "" when that
// listener is not bound.
func (h *Hub) ConnectAddr(kind string) string {
	switch kind {
	case "ws":
		return h.WSURL()
	case "tcp":
		if a := h.Addr(kind); a != "" {
			return a + "?token=" + h.token
		}
		return ""
	}
	return h.Addr(kind)
}

// Serve accepts connections until ctx is done or Shutdown is called. When
// ctx ends it shuts the hub down, giving connections five seconds to close.
// It returns nil once stopped, or the error that kept it from listening.
func (h *Hub) Serve(ctx context.Context) error {
	if err := h.Listen(); err != nil {
		return err
	}
	h.mu.Lock()
	for kind, l := range h.listeners {
		if kind == "ws" {
			h.goTrackedLocked(func() { h.http.Serve(l) })
			continue
		}
		h.goTrackedLocked(func() { h.acceptLoop(kind, l) })
	}
	h.goTrackedLocked(h.pingLoop)
	h.goTrackedLocked(h.refusalLog)
	h.mu.Unlock()
	h.log.Info("hub serving", "unix", h.Addr("unix"), "tcp", h.Addr("tcp"), "ws", h.Addr("ws"))
	select {
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := h.Shutdown(sctx); err != nil && !errors.Is(err, ErrClosed) {
			return err
		}
	case <-h.quit:
	}
	h.log.Info("hub stopped")
	return nil
}

// Shutdown stops accepting, tells every connection the hub is shutting
// down (a close code that says to reconnect later), and waits for them to
// close and for every goroutine of the hub to end, or for ctx. When ctx
// ends first it closes what is left and returns ctx's error.
func (h *Hub) Shutdown(ctx context.Context) error {
	h.mu.Lock()
	if h.closing {
		h.mu.Unlock()
		h.wg.Wait()
		return nil
	}
	h.closing = true
	close(h.quit)
	h.closeListenersLocked()
	h.removeTokenFileLocked()
	conns := make([]*conn, 0, len(h.conns))
	for c := range h.conns {
		conns = append(conns, c)
	}
	h.mu.Unlock()
	for _, c := range conns {
		c.closeWith(wire.CloseShutdown, "hub shutting down")
	}
	done := make(chan struct{})
	go func() { h.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		for _, c := range conns {
			c.abort()
		}
		<-done
		return fmt.Errorf("hub: shutdown: %w", ctx.Err())
	}
}

func (h *Hub) closeListenersLocked() {
	for _, l := range h.listeners {
		l.Close()
	}
	if h.http != nil {
		h.http.Close() // hijacked WebSockets are not its: they close as conns
	}
}

// goTrackedLocked starts fn as a goroutine Shutdown waits for; it refuses
// once shutdown began. h.mu must be held.
func (h *Hub) goTrackedLocked(fn func()) bool {
	if h.closing {
		return false
	}
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		fn()
	}()
	return true
}

// isClosing reports whether Shutdown began.
func (h *Hub) isClosing() bool {
	select {
	case <-h.quit:
		return true
	default:
		return false
	}
}

// pingLoop pings connections that have been quiet for a ping interval and
// closes those that left MaxPingsOut pings unanswered.
func (h *Hub) pingLoop() {
	t := time.NewTicker(h.cfg.PingInterval)
	defer t.Stop()
	for {
		select {
		case <-h.quit:
			return
		case now := <-t.C:
			h.mu.Lock()
			conns := make([]*conn, 0, len(h.conns))
			for c := range h.conns {
				conns = append(conns, c)
			}
			h.mu.Unlock()
			for _, c := range conns {
				c.checkAlive(now, h.cfg.PingInterval, h.cfg.MaxPingsOut)
			}
		}
	}
}
