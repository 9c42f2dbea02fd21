package nativeclient

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// EnvAddr is the environment variable that gives child processes the hub's
// address, as electron-common-ipc's processes find their broker. It may
// carry the token: "tcp:127.0.0.1:50494?token=T".
const EnvAddr = "IPCBUS_ADDR"

// EnvToken is the environment variable that gives a client the token of a
// TCP or WebSocket listener when its address does not carry one.
const EnvToken = "IPCBUS_TOKEN"

// DefaultTCPPort is the port `ipcbus serve` listens on by default.
const DefaultTCPPort = 50494

// DefaultUnixPath is the socket `ipcbus serve` creates by default:
// $XDG_RUNTIME_DIR/ipcbus.sock, or ipcbus.sock in a folder of this user's
// under the temp dir ($TMPDIR/ipcbus-UID).
func DefaultUnixPath() string {
	if dir := os.Getenv("XDG_RUNTIME_DIR"); dir != "" {
		return filepath.Join(dir, "ipcbus.sock")
	}
	return filepath.Join(os.TempDir(), fmt.Sprintf("ipcbus-%d", os.Getuid()), "ipcbus.sock")
}

// DefaultTokenPath is the token file of a hub on DefaultUnixPath: where a
// client of the hub's user finds the token of its TCP and WebSocket
// listeners without being told (see hub.Config.TokenFile).
func DefaultTokenPath() string { return DefaultUnixPath() + ".token" }

// Addr is a parsed hub address.
type Addr struct {
	Network string // "unix", "tcp" or "ws"
	Address string // a path, host:port, or for "ws" the whole ws:// URL
	Token   string // from "?token=T" ("tcp" and "ws")
}

// String returns the address without its token, for messages.
func (a Addr) String() string {
	if a.Network == "ws" {
		if u, err := url.Parse(a.Address); err == nil {
			q := u.Query()
			if q.Has("token") {
				q.Del("token")
				u.RawQuery = q.Encode()
			}
			return u.String()
		}
		return a.Address
	}
	return a.Network + ":" + a.Address
}

// ParseAddr parses a hub address: "unix:/path", "tcp:host:port", a
// WebSocket URL "ws://host:port/ws?token=T", a bare port number (TCP on
// 127.0.0.1), a bare "host:port", or a bare path. TCP forms may end in
// "?token=T", as the hub prints them. Any other URL scheme ("htp://h"),
// and a TCP address that is not host:port, is refused, not taken for a
// path. An empty address means $IPCBUS_ADDR, else DefaultUnixPath.
func ParseAddr(s string) (Addr, error) {
	if s == "" {
		s = os.Getenv(EnvAddr)
	}
	if s == "" {
		return Addr{Network: "unix", Address: DefaultUnixPath()}, nil
	}
	switch {
	case strings.HasPrefix(s, "ws://"), strings.HasPrefix(s, "wss://"):
		u, err := url.Parse(s)
		if err != nil || u.Host == "" {
			return Addr{}, fmt.Errorf("ipcbus: address: bad WebSocket URL %q", s)
		}
		return Addr{Network: "ws", Address: s, Token: u.Query().Get("token")}, nil
	case strings.HasPrefix(s, "unix:"):
		p := strings.TrimPrefix(s, "unix:")
		if p == "" {
			return Addr{}, errors.New("ipcbus: address: empty unix path")
		}
		return Addr{Network: "unix", Address: p}, nil
	case strings.HasPrefix(s, "tcp:"):
		return tcpAddr(strings.TrimPrefix(s, "tcp:"))
	}
	if scheme, _, ok := strings.Cut(s, "://"); ok && isScheme(scheme) {
		hint := ""
		if scheme == "http" || scheme == "https" {
			hint = "; the hub's WebSocket is ws://HOST:PORT/ws"
		}
		return Addr{}, fmt.Errorf("ipcbus: address %q: unknown scheme %q (want unix:PATH, tcp:HOST:PORT, ws:// or wss://%s)", s, scheme, hint)
	}
	if hp, _, ok := strings.Cut(s, "?"); ok && !strings.ContainsRune(hp, '/') {
		return tcpAddr(s) // a port or host:port with its token
	}
	if _, err := strconv.ParseUint(s, 10, 16); err == nil {
		return Addr{Network: "tcp", Address: "127.0.0.1:" + s}, nil
	}
	if strings.ContainsRune(s, '/') || !strings.Contains(s, ":") {
		return Addr{Network: "unix", Address: s}, nil
	}
	return tcpAddr(s)
}

// tcpAddr parses "host:port", ":port" or "port", then "?token=T".
func tcpAddr(s string) (Addr, error) {
	s, query, hasQuery := strings.Cut(s, "?")
	var token string
	if hasQuery {
		q, err := url.ParseQuery(query)
		if err != nil || !q.Has("token") || len(q) != 1 {
			return Addr{}, fmt.Errorf("ipcbus: address %q: want ?token=T after host:port", s)
		}
		token = q.Get("token")
	}
	if _, err := strconv.ParseUint(s, 10, 16); err == nil {
		s = "127.0.0.1:" + s
	}
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return Addr{}, fmt.Errorf("ipcbus: address %q: want host:port (or unix:PATH, ws://)", s)
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return Addr{}, fmt.Errorf("ipcbus: address %q: bad port", s)
	}
	if host == "" { // ":port", "[]:port"
		s = net.JoinHostPort("127.0.0.1", port)
	}
	return Addr{Network: "tcp", Address: s, Token: token}, nil
}

// isScheme reports whether s is a URL scheme: a letter, then letters,
// digits, "+", "-" or ".".
func isScheme(s string) bool {
	for i, r := range s {
		switch {
		case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z':
		case i > 0 && ('0' <= r && r <= '9' || r == '+' || r == '-' || r == '.'):
		default:
			return false
		}
	}
	return s != ""
}
