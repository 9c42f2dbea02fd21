package hub

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"time"

	"github.com/ipcbus/ipcbus/shared/wire"
)

// Config configures a Hub. The zero value of each field means the default
// its comment gives; at least one listener address must be set.
type Config struct {
	// UnixPath is where the Unix-socket listener is created (mode 0600). Its
	// folder is created (mode 0700) when missing; one that another user owns
	// or that group or others may write is refused (ErrUnsafeSocketDir). A
	// stale socket file there is replaced; one a live hub answers on is an
	// error. Empty: no Unix listener.
	UnixPath string
	// AllowUIDs are the users, besides the hub's own, whose processes may
	// connect on the Unix socket (the kernel's SO_PEERCRED says who
	// connects; the socket's mode must then be opened to them too).
	AllowUIDs []int
	// TCPAddr is the host:port of the TCP listener. A bare ":port" binds
	// 127.0.0.1. Empty: no TCP listener.
	TCPAddr string
	// AllowRemote allows TCPAddr and WSAddr to listen beyond the loopback
	// interface ("0.0.0.0:50494", a LAN address); the hub logs a warning
	// when they do. Without it such an address is refused (ErrRemoteBind).
	AllowRemote bool

	// WSAddr is the host:port of the WebSocket listener for renderers and
	// pages (a bare ":port" binds 127.0.0.1). It also serves Web over HTTP.
	// Empty: no WebSocket listener.
	WSAddr string
	// AllowedOrigins are the browser origins (scheme://host[:port]) allowed
	// to open a WebSocket, besides the hub's own (http://127.0.0.1:PORT and
	// http://localhost:PORT) and "file://". "null" admits opaque origins
	// (sandboxed frames); "*" admits any origin. Requests without an Origin
	// header (not from a browser) are admitted on the token alone.
	AllowedOrigins []string
	// Web, when set, is served over HTTP at / on the WebSocket listener:
	// client.wasm, its loader, demo pages.
	Web fs.FS

	// Token must be presented by every TCP and WebSocket connection: in
	// hello, and for WebSockets also in the upgrade URL (?token=). Empty: a
	// random one is generated at New (see Hub.Token). Connections on the
	// Unix socket are authenticated by their user instead (see AllowUIDs).
	Token string
	// TokenFile is where the hub writes its token and the addresses of its
	// TCP and WebSocket listeners (mode 0600) for clients of its user to
	// find (nativeclient does, given a TCP or ws address without token);
	// it is removed at Shutdown. Default UnixPath + ".token" when UnixPath
	// is set, else none.
	TokenFile string
	// Name names the hub in logs and welcomes. Default "ipcbus".
	Name string

	// MaxFrameBytes is the largest frame accepted. Default 16 MiB.
	MaxFrameBytes int
	// MaxPendingBytes bounds each connection's outbound queue; past it the
	// connection is closed as a slow consumer. Default 128 MiB (room for
	// the answers of 64 requests of 1 MiB in flight, with margin), and
	// never less than twice MaxFrameBytes.
	MaxPendingBytes int
	// MaxPeersPerConn, MaxSubscriptionsPerConn and MaxRequestsPerConn bound
	// what one connection may hold; MaxSubscriptionsPerPeer what each of
	// its peers may. Defaults 1024, 65536, 65536 and 16384.
	MaxPeersPerConn         int
	MaxSubscriptionsPerConn int
	MaxSubscriptionsPerPeer int
	MaxRequestsPerConn      int

	// MaxConnsPerListener bounds the connections open on each listener (for
	// the WebSocket listener, HTTP requests included); past it new ones are
	// closed at once. Default 16384.
	MaxConnsPerListener int
	// MaxPendingHello bounds the connections, all listeners together, that
	// have not said hello yet; past it new ones are closed with a reason.
	// Default 256.
	MaxPendingHello int
	// MaxHelloBytes is the largest frame accepted before hello, so that a
	// connection not yet authenticated cannot make the hub allocate a
	// full-size frame. Default 64 KiB.
	MaxHelloBytes int
	// HandshakeTimeout is how long a new connection has to send hello, and
	// an HTTP connection of the WebSocket listener its request headers (it
	// is also closed when idle that long). Default 5 s.
	HandshakeTimeout time.Duration
	// RefusalLogInterval is how often the connections refused before hello
	// (bad upgrades, tokens, users, handshake timeouts, limits) are logged,
	// as one WARN line with counts. Default 10 s.
	RefusalLogInterval time.Duration
	// WriteTimeout bounds each write to a connection; a connection that
	// takes longer is closed as a slow consumer. Default 10 s.
	WriteTimeout time.Duration
	// PingInterval is how often an idle connection is pinged; after
	// MaxPingsOut unanswered pings it is closed as stale. Defaults 30 s, 2.
	PingInterval time.Duration
	MaxPingsOut  int
	// LameDuckWindow is the time Shutdown spreads its closes over, so that
	// the clients of a hub being restarted do not all reconnect at once.
	// Default 1 s; negative: close every connection at once.
	LameDuckWindow time.Duration

	// NATS federates the hub with others (federation_config.go). Zero: none.
	NATS NATSConfig

	// Logger receives one line per connection event. Default slog.Default().
	Logger *slog.Logger
}

func (c Config) withDefaults() (Config, error) {
	if c.UnixPath == "" && c.TCPAddr == "" && c.WSAddr == "" {
		return c, errors.New("hub: config: no listener (set UnixPath, TCPAddr or WSAddr)")
	}
	if c.Name == "" {
		c.Name = "ipcbus"
	}
	if c.MaxFrameBytes == 0 {
		c.MaxFrameBytes = wire.DefaultMaxFrameBytes
	}
	if c.MaxFrameBytes < 1024 {
		return c, fmt.Errorf("hub: config: MaxFrameBytes %d is below 1024", c.MaxFrameBytes)
	}
	if c.MaxPendingBytes == 0 {
		c.MaxPendingBytes = 128 << 20
	}
	if c.MaxPendingBytes < 2*c.MaxFrameBytes {
		c.MaxPendingBytes = 2 * c.MaxFrameBytes
	}
	if c.MaxPeersPerConn == 0 {
		c.MaxPeersPerConn = 1024
	}
	if c.MaxSubscriptionsPerConn == 0 {
		c.MaxSubscriptionsPerConn = 65536
	}
	if c.MaxSubscriptionsPerPeer == 0 {
		c.MaxSubscriptionsPerPeer = 16384
	}
	if c.MaxRequestsPerConn == 0 {
		c.MaxRequestsPerConn = 65536
	}
	if c.MaxConnsPerListener == 0 {
		c.MaxConnsPerListener = 16384
	}
	if c.MaxPendingHello == 0 {
		c.MaxPendingHello = 256
	}
	if c.MaxHelloBytes == 0 {
		c.MaxHelloBytes = 64 << 10
	}
	if c.MaxHelloBytes < 1024 {
		return c, fmt.Errorf("hub: config: MaxHelloBytes %d is below 1024", c.MaxHelloBytes)
	}
	if c.MaxHelloBytes > c.MaxFrameBytes {
		c.MaxHelloBytes = c.MaxFrameBytes
	}
	if c.RefusalLogInterval == 0 {
		c.RefusalLogInterval = 10 * time.Second
	}
	if c.TokenFile == "" && c.UnixPath != "" {
		c.TokenFile = c.UnixPath + ".token"
	}
	if c.HandshakeTimeout == 0 {
		c.HandshakeTimeout = wire.DefaultHandshakeTimeout
	}
	if c.WriteTimeout == 0 {
		c.WriteTimeout = 10 * time.Second
	}
	if c.PingInterval == 0 {
		c.PingInterval = 30 * time.Second
	}
	if c.MaxPingsOut == 0 {
		c.MaxPingsOut = 2
	}
	if c.LameDuckWindow == 0 {
		c.LameDuckWindow = time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	var err error
	if c.NATS, err = c.NATS.withDefaults(); err != nil {
		return c, err
	}
	if c.HandshakeTimeout < 0 || c.WriteTimeout < 0 || c.PingInterval < 0 || c.MaxPingsOut < 0 ||
		c.MaxPeersPerConn < 0 || c.MaxSubscriptionsPerConn < 0 || c.MaxSubscriptionsPerPeer < 0 || c.MaxRequestsPerConn < 0 ||
		c.MaxConnsPerListener < 0 || c.MaxPendingHello < 0 || c.MaxHelloBytes < 0 || c.RefusalLogInterval < 0 {
		return c, errors.New("hub: config: negative limit")
	}
	return c, nil
}
