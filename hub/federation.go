package hub

import (
	"encoding/base64"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/ipcbus/ipcbus/shared/wire"
)

// federation joins the hub to others over NATS. Subjects, under the
// configured prefix P:
//
//	P.c.<base64url(channel)>  sends and requests on a channel, subscribed
//	                          while a local peer listens to it
//	P.h.<hub id>.m            sends and requests to one of the hub's peers
//	P.h.<hub id>.r.<request>  answers to the hub's requests
//	P.h.<hub id>.o.<offer>    claims of the ports the hub offered
//
// Messages are published without echo: a hub never hears its own, its
// local delivery having happened already.
type federation struct {
	h      *Hub
	cfg    NATSConfig
	base   uint64 // HubID << 32: the high bits of the hub's peer ids
	self   string // P.h.<hub id>
	inc    uint64 // this run of the hub, told in its heartbeats
	srv    *server.Server
	nc     *nats.Conn
	closed chan struct{} // closed by nats.go when nc is closed

	stopOnce sync.Once

	mu   sync.Mutex
	subs map[string]*nats.Subscription // by channel, while a local peer listens
	hubs *nats.Subscription            // P.h.<hub id>.>

	// pmu guards origins and seen (federation_presence.go). origins are
	// the pseudo connections that other hubs' requests are made on, one a
	// hub, so that the request table bounds them (MaxRequestsPerConn) and
	// a hub's requests can be dropped when it goes; seen is when each
	// other hub was last heard of.
	pmu     sync.Mutex
	origins map[uint32]*conn
	seen    map[uint32]*hubSeen

	// Guarded by h.ports.mu (federation_ports.go): the ports offered to
	// other hubs and not yet claimed, and the port ends shared with them.
	offers    map[uint64]*portOffer
	nextOffer uint64
	remote    map[xport]*relay
	nextKey   uint64

	tooLarge atomic.Uint64 // messages too large for NATS, not sent to other hubs

	dones   chan fedDoneMsg // settled requests other hubs may hold (federation_done.go)
	queries chan struct{}   // a slot per query waiting on other hubs (federation_query.go)
	quit    chan struct{}   // closed at stop: the federation's goroutines end
	wg      sync.WaitGroup
}

// newFederation returns nil when cfg does not federate.
func newFederation(h *Hub, cfg NATSConfig) *federation {
	if !cfg.enabled() {
		return nil
	}
	return &federation{
		h:       h,
		cfg:     cfg,
		base:    uint64(cfg.HubID) << 32,
		self:    cfg.Prefix + ".h." + strconv.FormatUint(uint64(cfg.HubID), 10),
		subs:    make(map[string]*nats.Subscription),
		origins: make(map[uint32]*conn),
		seen:    make(map[uint32]*hubSeen),
		offers:  make(map[uint64]*portOffer),
		remote:  make(map[xport]*relay),
		dones:   make(chan fedDoneMsg, maxPendingDones),
		queries: make(chan struct{}, maxFedQueries),
		quit:    make(chan struct{}),
		closed:  make(chan struct{}),
		inc:     rand.Uint64() | 1,
	}
}

// newPeerID returns a new peer id, unique across federated hubs.
func (h *Hub) newPeerID() uint64 {
	id := h.nextPeer.Add(1)
	if h.fed != nil {
		id |= h.fed.base
	}
	return id
}

// HubID returns the hub's id in its federation, 0 when it does not federate.
func (h *Hub) HubID() uint32 {
	if h.fed == nil {
		return 0
	}
	return h.fed.cfg.HubID
}

// NATSClusterAddr returns the embedded NATS server's route address
// (host:port), or "" when it runs none.
func (h *Hub) NATSClusterAddr() string {
	if h.fed == nil || h.fed.srv == nil {
		return ""
	}
	if a := h.fed.srv.ClusterAddr(); a != nil {
		return a.String()
	}
	return ""
}

// NATSClientURL returns the embedded NATS server's client URL, or "" when
// it has no client listener.
func (h *Hub) NATSClientURL() string {
	if h.fed == nil || h.fed.srv == nil || h.fed.cfg.ListenAddr == "" {
		return ""
	}
	return h.fed.srv.ClientURL()
}

// NATSConnectedURL returns the URL of the NATS server the hub is connected
// to, or "" when it is not (or does not federate).
func (h *Hub) NATSConnectedURL() string {
	if h.fed == nil || h.fed.nc == nil {
		return ""
	}
	return h.fed.nc.ConnectedUrl()
}

// start runs the embedded server, if any, and connects. A NATS deployment
// that is down is not an error: the hub serves its local peers and joins
// when it comes up.
func (f *federation) start() error {
	opts := []nats.Option{
		nats.Name(f.h.cfg.Name + " " + f.self),
		nats.NoEcho(),
		nats.DontRandomize(),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(250 * time.Millisecond),
		nats.RetryOnFailedConnect(true),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			f.h.log.Warn("federation: NATS disconnected; serving local peers meanwhile", "err", err)
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) {
			f.rearm()
			f.checkMaxPayload()
			f.h.log.Info("federation: NATS reconnected; interest re-announced", "server", nc.ConnectedUrlRedacted())
		}),
		nats.ClosedHandler(func(*nats.Conn) { close(f.closed) }),
		nats.ErrorHandler(func(_ *nats.Conn, sub *nats.Subscription, err error) {
			subject := ""
			if sub != nil {
				subject = sub.Subject
			}
			f.h.log.Warn("federation: NATS error", "subject", subject, "err", err)
		}),
	}
	if f.cfg.CredsFile != "" {
		opts = append(opts, nats.UserCredentials(f.cfg.CredsFile))
	}
	tc, err := f.cfg.tlsConfig()
	if err != nil {
		return err
	}
	if tc != nil {
		opts = append(opts, nats.Secure(tc))
	}
	url := ""
	if f.cfg.Embedded {
		srv, err := f.startServer()
		if err != nil {
			return err
		}
		f.srv = srv
		opts = append(opts, nats.InProcessServer(srv))
	} else {
		for i, u := range f.cfg.URLs {
			if i > 0 {
				url += ","
			}
			url += u
		}
	}
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		f.stopServer()
		return fmt.Errorf("hub: federation: %w", err)
	}
	f.mu.Lock()
	f.nc = nc
	f.mu.Unlock()
	f.checkMaxPayload()
	sub, err := nc.Subscribe(f.self+".>", f.onHubMsg)
	if err != nil {
		nc.Close()
		f.stopServer()
		return fmt.Errorf("hub: federation: %w", err)
	}
	f.limit(sub)
	f.hubs = sub
	if err := f.startQueries(); err != nil {
		nc.Close()
		f.stopServer()
		return fmt.Errorf("hub: federation: %w", err)
	}
	if err := f.startPresence(); err != nil {
		nc.Close()
		f.stopServer()
		return fmt.Errorf("hub: federation: %w", err)
	}
	f.wg.Add(1)
	go f.runDones()
	f.h.log.Info("federation: joined", "hub_id", f.cfg.HubID, "embedded", f.cfg.Embedded, "cluster", f.h.NATSClusterAddr())
	return nil
}

func (f *federation) startServer() (*server.Server, error) {
	o := &server.Options{
		ServerName: fmt.Sprintf("%s-%d", f.h.cfg.Name, f.cfg.HubID),
		NoLog:      true,
		NoSigs:     true,
		Host:       "127.0.0.1",
		Port:       -1, // nats-server's DontListen never gets ready with routes
	}
	if f.cfg.ListenAddr != "" {
		o.Host, o.Port, _ = splitHostPort(f.cfg.ListenAddr)
	}
	if f.cfg.ClusterAddr != "" {
		o.Cluster.Name = f.cfg.ClusterName
		o.Cluster.Host, o.Cluster.Port, _ = splitHostPort(f.cfg.ClusterAddr)
		for _, r := range f.cfg.Routes {
			o.Routes = append(o.Routes, server.RoutesFromStr(r)...)
		}
	}
	// Room for the hub's largest frame and what a hub adds to it.
	o.MaxPayload = int32(max(f.h.cfg.MaxFrameBytes+fedOverheadBytes, 1<<20))
	srv, err := server.NewServer(o)
	if err != nil {
		return nil, fmt.Errorf("hub: federation: embedded NATS: %w", err)
	}
	srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		srv.Shutdown()
		srv.WaitForShutdown()
		return nil, errors.New("hub: federation: embedded NATS did not start")
	}
	return srv, nil
}

func (f *federation) stopServer() {
	if f.srv != nil {
		f.srv.Shutdown()
		f.srv.WaitForShutdown()
	}
}

// stop closes the NATS connection, then the embedded server, and waits
// for the federation's and nats.go's goroutines to end. With leave, the
// other hubs are told first, so that they fail at once what waits on this
// hub's peers.
func (f *federation) stop(leave bool) {
	if f.nc == nil {
		return
	}
	close(f.quit)
	f.wg.Wait()
	f.stopOffers()
	if leave {
		f.announceLeave()
	}
	f.nc.Close()
	t := time.NewTimer(5 * time.Second) // nats.go's closed callback ends its goroutines
	select {
	case <-f.closed:
	case <-t.C:
		f.h.log.Warn("federation: NATS connection slow to close")
	}
	t.Stop()
	f.stopServer()
}

// limit sets a subscription's bound on messages not yet delivered.
func (f *federation) limit(sub *nats.Subscription) {
	sub.SetPendingLimits(f.cfg.MaxPendingMsgs, 256<<20)
}

// federated reports whether a channel's traffic crosses hubs: the hub's
// own channels are answered by each hub for itself.
func federated(channel string) bool {
	switch channel {
	case wire.ChannelSpy, wire.ChannelQueryState, wire.ChannelServiceAvailable, wire.ChannelQueryServices:
		return false
	}
	return true
}

func (f *federation) channelSubject(channel string) string {
	return f.cfg.Prefix + ".c." + base64.RawURLEncoding.EncodeToString([]byte(channel))
}

// hubSubject is the subject of hub id's directed messages.
func (f *federation) hubSubject(id uint64) string {
	return f.cfg.Prefix + ".h." + strconv.FormatUint(id, 10) + ".m"
}

// interest subscribes on channel's subject when its first local listener
// came (on), and unsubscribes when its last one left. The router calls it
// with its lock held, so that the calls for one channel come in order.
func (f *federation) interest(channel string, on bool) {
	if !federated(channel) {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.nc == nil || f.nc.IsClosed() {
		return
	}
	if !on {
		if sub := f.subs[channel]; sub != nil {
			sub.Unsubscribe()
			delete(f.subs, channel)
		}
		return
	}
	if f.subs[channel] != nil {
		return
	}
	sub, err := f.nc.Subscribe(f.channelSubject(channel), f.onChannelMsg)
	if err != nil {
		f.h.log.Warn("federation: subscribe failed: this hub's listeners miss other hubs' messages", "channel", channel, "err", err)
		return
	}
	f.limit(sub)
	f.subs[channel] = sub
}

// fedOverheadBytes bounds what a hub adds to a frame's payload in a NATS
// message (kind, target, channel, sender, ids).
const fedOverheadBytes = 64 << 10

// checkMaxPayload warns when the NATS server takes messages smaller than
// the hub's frames: larger ones cannot cross hubs.
func (f *federation) checkMaxPayload() {
	if mp := f.nc.MaxPayload(); mp > 0 && mp < int64(f.h.cfg.MaxFrameBytes+fedOverheadBytes) {
		f.h.log.Warn("federation: the NATS server's max_payload is under the hub's MaxFrameBytes: larger messages reach only this hub's peers, and requests fail with refused",
			"max_payload", mp, "max_frame_bytes", f.h.cfg.MaxFrameBytes)
	}
}

// publishFailed logs a message other hubs will not get; one too large for
// NATS is logged the first time and every 1000th after.
func (f *federation) publishFailed(what, channel string, err error) {
	if errors.Is(err, nats.ErrMaxPayload) {
		if n := f.tooLarge.Add(1); n == 1 || n%1000 == 0 {
			f.h.log.Warn("federation: message too large for NATS, not sent to other hubs", "what", what, "channel", channel, "max_payload", f.nc.MaxPayload(), "count", n)
		}
		return
	}
	f.h.log.Debug("federation: publish failed", "what", what, "channel", channel, "err", err)
}
