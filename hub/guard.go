package hub

import (
	"errors"
	"fmt"
	"net"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/ipcbus/ipcbus/shared/wire"
)

// Accept back-off, as net/http's Server does: 5 ms, doubling to 1 s.
const (
	acceptBackoffMin = 5 * time.Millisecond
	acceptBackoffMax = time.Second
)

// guardedListener is what every listener of the hub accepts through. It
// never gives up on a failed accept (EMFILE, ENFILE…): it waits, backing
// off, and tries again until the listener is closed. It closes at once the
// connections over Config.MaxConnsPerListener, and on a Unix socket it
// reads each peer's credentials (SO_PEERCRED).
type guardedListener struct {
	net.Listener
	h      *Hub
	kind   string
	active atomic.Int64 // connections accepted and not yet closed
}

func (h *Hub) guard(kind string, l net.Listener) *guardedListener {
	return &guardedListener{Listener: l, h: h, kind: kind}
}

// Accept returns the next connection admitted, a *guardedConn, or
// net.ErrClosed once the listener is closed or the hub shuts down.
func (l *guardedListener) Accept() (net.Conn, error) {
	var delay time.Duration
	for {
		nc, err := l.Listener.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) || l.h.isClosing() {
				return nil, net.ErrClosed
			}
			delay = min(max(2*delay, acceptBackoffMin), acceptBackoffMax)
			l.h.refusals.add(l.kind, "accept failed: "+errText(err))
			t := time.NewTimer(delay)
			select {
			case <-l.h.quit:
				t.Stop()
				return nil, net.ErrClosed
			case <-t.C:
			}
			continue
		}
		delay = 0
		if l.active.Load() >= int64(l.h.cfg.MaxConnsPerListener) {
			nc.Close()
			l.h.refusals.add(l.kind, fmt.Sprintf("over %d connections", l.h.cfg.MaxConnsPerListener))
			continue
		}
		if tc, ok := nc.(*net.TCPConn); ok {
			tc.SetNoDelay(true)
		}
		gc := &guardedConn{Conn: nc, l: l}
		if uc, ok := nc.(*net.UnixConn); ok {
			gc.pid, gc.refusal = l.h.checkPeer(uc)
		}
		l.active.Add(1)
		return gc, nil
	}
}

// guardedConn is an admitted connection; closing it gives its place back.
type guardedConn struct {
	net.Conn
	l       *guardedListener
	once    sync.Once
	pid     int              // the peer's, from its credentials (Unix sockets); 0 when unknown
	refusal *wire.CloseError // why the peer is refused before hello, or nil
}

func (c *guardedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() { c.l.active.Add(-1) })
	return err
}

// checkPeer reads a Unix peer's credentials: it returns the peer's pid,
// and a refusal when the peer's user is neither the hub's nor one of
// Config.AllowUIDs. Where the system has no SO_PEERCRED the socket's mode
// alone guards the door.
func (h *Hub) checkPeer(uc *net.UnixConn) (pid int, refusal *wire.CloseError) {
	uid, pid, err := peerCred(uc)
	switch {
	case errors.Is(err, errors.ErrUnsupported):
		return 0, nil
	case err != nil:
		return 0, &wire.CloseError{Code: wire.CloseUnauthorized, Reason: "peer credentials: " + err.Error()}
	case uid != os.Getuid() && !slices.Contains(h.cfg.AllowUIDs, uid):
		return pid, &wire.CloseError{Code: wire.CloseUnauthorized, Reason: fmt.Sprintf("uid %d may not use this hub", uid)}
	}
	return pid, nil
}

// errText is the part of an accept error worth counting: "too many open
// files" rather than the listener's address each time.
func errText(err error) string {
	var se syscall.Errno
	if errors.As(err, &se) {
		return se.Error()
	}
	return err.Error()
}
