package hub

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ipcbus/ipcbus/internal/private"
)

// listenUnix creates the Unix socket at path with mode 0600, in a folder of
// the hub's user that no one else may write (see socketDir), replacing a
// stale socket file and refusing one a live server answers on.
func listenUnix(path string) (net.Listener, error) {
	if err := socketDir(filepath.Dir(path)); err != nil {
		return nil, err
	}
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode()&os.ModeSocket == 0 {
			return nil, fmt.Errorf("hub: %s exists and is not a socket", path)
		}
		if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
			c.Close()
			return nil, fmt.Errorf("%w: %s", ErrSocketInUse, path)
		}
		if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("hub: remove stale socket: %w", err)
		}
	}
	l, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("hub: listen: %w", err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		l.Close()
		return nil, fmt.Errorf("hub: listen: %w", err)
	}
	return l, nil
}

// ErrUnsafeSocketDir is returned when the Unix socket's folder belongs to
// another user or others may write it: whoever can write it can replace
// the socket and receive the clients' hellos.
var ErrUnsafeSocketDir = errors.New("hub: unsafe socket folder")

// socketDir creates dir (and its missing parents) with mode 0700 when it
// does not exist, and refuses it when it is not a folder owned by the hub's user, or
// when group or others may write it.
func socketDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("hub: socket folder: %w", err)
	}
	if err := private.Dir(dir, os.Getuid()); err != nil {
		return fmt.Errorf("%w: %s %v (use a folder of your own, mode 0700, e.g. $XDG_RUNTIME_DIR)", ErrUnsafeSocketDir, dir, err)
	}
	return nil
}

// ErrRemoteBind is returned when a TCP or WebSocket listener would listen
// beyond the loopback interface without Config.AllowRemote.
var ErrRemoteBind = errors.New("hub: listening beyond loopback needs AllowRemote (--allow-remote)")

// listenTCP listens on addr; a host left out means 127.0.0.1. An address
// that is not a loopback one is refused unless remote is set, and then
// logged as a warning.
func (h *Hub) listenTCP(kind, addr string) (net.Listener, error) {
	if strings.HasPrefix(addr, ":") {
		addr = "127.0.0.1" + addr
	}
	if !h.cfg.AllowRemote {
		if err := loopbackOnly(addr); err != nil {
			return nil, err
		}
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("hub: listen: %w", err)
	}
	if ip := l.Addr().(*net.TCPAddr).IP; !ip.IsLoopback() {
		if !h.cfg.AllowRemote {
			l.Close()
			return nil, fmt.Errorf("%w: %s binds %s", ErrRemoteBind, addr, ip)
		}
		h.log.Warn("listening beyond loopback: any host that reaches this address may try the token", "listener", kind, "addr", l.Addr().String())
	}
	return l, nil
}

// loopbackOnly refuses, before listening, a host that is not a loopback
// address or "localhost": a wildcard ("0.0.0.0", "::") or any other name.
func loopbackOnly(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("hub: listen: %w", err)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("%w: %s", ErrRemoteBind, addr)
}

// acceptLoop serves what the guarded listener admits until it is closed.
func (h *Hub) acceptLoop(kind string, l *guardedListener) {
	for {
		nc, err := l.Accept()
		if err != nil {
			return
		}
		gc := nc.(*guardedConn)
		h.serveConn(kind, nc.RemoteAddr().String(), newStreamTransport(nc, h.cfg, h.bufs), gc.pid, gc.refusal)
	}
}
