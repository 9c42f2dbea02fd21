package nativeclient

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// EnvAddr is the environment variable that gives child processes the hub's
// address, as electron-common-ipc's processes find their broker.
const EnvAddr = "IPCBUS_ADDR"

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

// Addr is a parsed hub address.
type Addr struct {
	Network string // "unix", "tcp" or "ws"
	Address string // a path, host:port, or for "ws" the whole ws:// URL
}

func (a Addr) String() string {
	if a.Network == "ws" {
		return a.Address
	}
	return a.Network + ":" + a.Address
}

// ParseAddr parses a hub address: "unix:/path", "tcp:host:port", a
// WebSocket URL "ws://host:port/ws?token=T", a bare port number (TCP on
// 127.0.0.1), a bare "host:port", or a bare path. An empty address means
// $IPCBUS_ADDR, else DefaultUnixPath.
func ParseAddr(s string) (Addr, error) {
	if s == "" {
		s = os.Getenv(EnvAddr)
	}
	if s == "" {
		return Addr{Network: "unix", Address: DefaultUnixPath()}, nil
	}
	switch {
	case strings.HasPrefix(s, "ws://"), strings.HasPrefix(s, "wss://"):
		return Addr{Network: "ws", Address: s}, nil
	case strings.HasPrefix(s, "unix:"):
		p := strings.TrimPrefix(s, "unix:")
		if p == "" {
			return Addr{}, errors.New("ipcbus: address: empty unix path")
		}
		return Addr{Network: "unix", Address: p}, nil
	case strings.HasPrefix(s, "tcp:"):
		return tcpAddr(strings.TrimPrefix(s, "tcp:"))
	}
	if _, err := strconv.ParseUint(s, 10, 16); err == nil {
		return Addr{Network: "tcp", Address: "127.0.0.1:" + s}, nil
	}
	if strings.ContainsRune(s, '/') || !strings.Contains(s, ":") {
		return Addr{Network: "unix", Address: s}, nil
	}
	return tcpAddr(s)
}

func tcpAddr(s string) (Addr, error) {
	if _, err := strconv.ParseUint(s, 10, 16); err == nil {
		s = "127.0.0.1:" + s
	}
	i := strings.LastIndex(s, ":")
	if i < 0 {
		return Addr{}, fmt.Errorf("ipcbus: address %q: want host:port", s)
	}
	if _, err := strconv.ParseUint(s[i+1:], 10, 16); err != nil {
		return Addr{}, fmt.Errorf("ipcbus: address %q: bad port", s)
	}
	if i == 0 {
		s = "127.0.0.1" + s
	}
	return Addr{Network: "tcp", Address: s}, nil
}
