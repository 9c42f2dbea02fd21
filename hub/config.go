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
	// UnixPath is where the Unix-socket listener is created (mode 0600). A
	// stale socket file there is replaced; one a live hub answers on is an
	// error. Empty: no Unix listener.
	UnixPath string
	// TCPAddr is the host:port of the TCP listener. A bare ":port" binds
	// 127.0.0.1. Empty: no TCP listener.
	TCPAddr string

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

	// Token, when set, must be presented by every connection: in hello, and
	// for WebSockets also in the upgrade URL (?token=). When empty and
	// WSAddr is set, the hub generates a random token for WebSockets alone
	// (see Hub.Token): native listeners rely on the socket's permissions
	// and the loopback interface.
	Token string
	// Name names the hub in logs and welcomes. Default "ipcbus".
	Name string

	// MaxFrameBytes is the largest frame accepted. Default 16 MiB.
	MaxFrameBytes int
	// MaxPendingBytes bounds each connection's outbound queue; past it the
	// connection is closed as a slow consumer. Default 64 MiB, and never
	// less than twice MaxFrameBytes.
	MaxPendingBytes int
	// MaxPeersPerConn, MaxSubscriptionsPerConn and MaxRequestsPerConn bound
	// what one connection may hold. Defaults 1024, 65536 and 65536.
	MaxPeersPerConn         int
	MaxSubscriptionsPerConn int
	MaxRequestsPerConn      int

	// HandshakeTimeout is how long a new connection has to send hello.
	// Default 5 s.
	HandshakeTimeout time.Duration
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
		c.MaxPendingBytes = 64 << 20
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
	if c.MaxRequestsPerConn == 0 {
		c.MaxRequestsPerConn = 65536
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
	if c.HandshakeTimeout < 0 || c.WriteTimeout < 0 || c.PingInterval < 0 || c.MaxPingsOut < 0 ||
		c.MaxPeersPerConn < 0 || c.MaxSubscriptionsPerConn < 0 || c.MaxRequestsPerConn < 0 {
		return c, errors.New("hub: config: negative limit")
	}
	return c, nil
}
