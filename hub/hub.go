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

	"github.com/ipcbus/ipcbus/shared/stream"
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
	spies    spies    // the attached spies (spy.go)
	stats    stats    // counters (stats.go)
	metrics  *metrics // their Prometheus registry (metrics.go)
	ports    ports
	services services     // services seen starting (services.go)
	token    string       // required of TCP and WebSocket connections
	origins  []string     // browser origins allowed to upgrade
	http     *http.Server // the WebSocket listener's server
	self     []byte       // the hub's own peer, encoded, as the sender of its answers
	bufs     *stream.Pool // large frames' read buffers (transport.go)
	fed      *federation  // nil unless Config.NATS federates (federation.go)
	park     *parker      // idle connections (park_linux.go); nil: not parked
	parkOnce sync.Once
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
		bufs:      stream.NewPool(readPoolBytes),
	}
	if h.token = cfg.Token; h.token == "" {
		h.token = randomToken()
	}
	h.router.init()
	h.requests.init()
	h.initFederation()
	h.metrics = newMetrics(h)
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
	if err := h.startFederation(); err != nil {
		return err
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
// ctx ends it shuts the hub down (Shutdown), giving it the lame-duck window
// and five seconds more.
// It returns nil once stopped, or the error that kept it from listening.
func (h *Hub) Serve(ctx context.Context) error {
	if err := h.Listen(); err != nil {
		return err
	}
	h.mu.Lock()
	for kind, l := range h.listeners {
		if kind == "ws" {
			h.goTrackedLocked(func() { h.http.Serve(wsPortListener{l, h}) })
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
		sctx, cancel := context.WithTimeout(context.Background(), max(h.cfg.LameDuckWindow, 0)+5*time.Second)
		defer cancel()
		if err := h.Shutdown(sctx); err != nil && !errors.Is(err, ErrClosed) {
			return err
		}
	case <-h.quit:
	}
	h.log.Info("hub stopped")
	return nil
}

// Shutdown stops the hub in lame-duck fashion: it stops accepting, then
// tells each connection to reconnect later (wire.CloseShutdown), spreading
// these closes over Config.LameDuckWindow so that clients do not all come
// back at once. A connection is closed once the requests it made or was
// asked, when its turn came, have settled. Shutdown then waits for the
// connections to close and for every goroutine of the hub to end. When ctx
// ends first it closes what is left at once and returns ctx's error.
func (h *Hub) Shutdown(ctx context.Context) error {
	conns, first := h.stopAccepting()
	if !first {
		h.wg.Wait()
		return nil
	}
	var closing sync.WaitGroup
	step := time.Duration(0)
	if w := h.cfg.LameDuckWindow; w > 0 && len(conns) > 1 {
		step = w / time.Duration(len(conns))
	}
	for i, c := range conns {
		closing.Add(1)
		go func() {
			defer closing.Done()
			if !sleepCtx(ctx, time.Duration(i)*step) {
				return
			}
			h.waitRequests(ctx, c)
			c.closeWith(wire.CloseShutdown, "hub shutting down")
		}()
	}
	closing.Wait()
	h.stopFederation(true)
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

// Kill stops the hub at once, as a crash would: listeners and connections
// are closed without a close frame, requests in flight are dropped. It
// returns once every goroutine of the hub has ended. Tests use it to play
// a hub that dies; Shutdown is the way to stop.
func (h *Hub) Kill() {
	conns, _ := h.stopAccepting()
	// Mute every connection before closing any, so that no teardown gets
	// a frame out (a crashed hub tells nobody that a responder left).
	for _, c := range conns {
		c.omu.Lock()
		c.state = connClosed
		c.queue, c.pending = nil, 0
		if c.stall != nil {
			close(c.stall)
			c.stall = nil
		}
		c.omu.Unlock()
	}
	h.stopFederation(false)
	for _, c := range conns {
		c.t.Close()
		c.signal()
	}
	h.wg.Wait()
}

// stopAccepting marks the hub closing and closes its listeners; it returns
// the open connections, and whether this call was the first.
func (h *Hub) stopAccepting() ([]*conn, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	first := !h.closing
	if first {
		h.closing = true
		close(h.quit)
		h.closeListenersLocked()
		h.removeTokenFileLocked()
	}
	conns := make([]*conn, 0, len(h.conns))
	for c := range h.conns {
		conns = append(conns, c)
	}
	return conns, first
}

// waitRequests waits, up to ctx, until the requests c made or its peers
// were asked, as of now, have settled.
func (h *Hub) waitRequests(ctx context.Context, c *conn) {
	h.router.mu.RLock()
	h.requests.mu.Lock()
	var ids []uint64
	for _, id := range c.asked {
		ids = append(ids, id)
	}
	for _, p := range c.peers {
		for id := range p.responding {
			ids = append(ids, id)
		}
	}
	h.requests.mu.Unlock()
	h.router.mu.RUnlock()
	for len(ids) > 0 {
		h.requests.mu.Lock()
		live := ids[:0]
		for _, id := range ids {
			if h.requests.byID[id] != nil {
				live = append(live, id)
			}
		}
		ids = live
		h.requests.mu.Unlock()
		if len(ids) > 0 && !sleepCtx(ctx, 2*time.Millisecond) {
			return
		}
	}
}

// sleepCtx waits d; it reports false when ctx ended first.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
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
// closes those that left MaxPingsOut pings unanswered; and trims the pool
// of large read buffers.
func (h *Hub) pingLoop() {
	t := time.NewTicker(h.cfg.PingInterval)
	defer t.Stop()
	for {
		select {
		case <-h.quit:
			return
		case now := <-t.C:
			h.bufs.Trim() // an idle hub keeps no large read buffers
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
