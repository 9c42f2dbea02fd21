package bus

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/ipcbus/ipcbus/shared/wire"
)

// session is one transport to the hub with its outbound queue: a Conn has
// one per (re)connection.
type session struct {
	t          Transport
	out        *outbound
	lost       chan struct{}    // closed once the session is over
	readerDone chan struct{}    // closed when its reader has returned
	over       bool             // guarded by Conn.mu
	remote     *wire.CloseError // the hub's close frame, if it sent one; guarded by Conn.mu
}

func newSession(t Transport, maxOutbound int) *session {
	return &session{t: t, out: newOutbound(maxOutbound), lost: make(chan struct{}), readerDone: make(chan struct{})}
}

// Terminal marks err, returned by a Dialer, as one that retrying would
// meet again (a refused token, say): the connection stops reconnecting.
func Terminal(err error) error { return &terminalError{err} }

type terminalError struct{ err error }

func (e *terminalError) Error() string { return e.err.Error() }
func (e *terminalError) Unwrap() error { return e.err }

// terminal reports whether err says reconnecting would fail the same way:
// a close code that says so (bad token, protocol version, refused
// identity, ...) or an error a Dialer marked with Terminal.
func terminal(err error) bool {
	var te *terminalError
	if errors.As(err, &te) {
		return true
	}
	var ce *wire.CloseError
	return errors.As(err, &ce) && !ce.Code.Reconnect()
}

// mayReconnect reports whether a session that ended with remote (the hub's
// close frame, or nil) is worth reconnecting.
func (c *Conn) mayReconnect(remote *wire.CloseError) bool {
	if c.opts.Redial == nil || c.opts.NoReconnect {
		return false
	}
	return remote == nil || remote.Code.Reconnect()
}

// setStatusLocked records st and tells Options.OnStatus. c.mu must be held.
func (c *Conn) setStatusLocked(st Status, err error, attempt int) {
	c.status.Store(int32(st))
	c.notify(StatusChange{Status: st, Err: err, Attempt: attempt})
}

// notify hands a status change to OnStatus on the dispatch goroutine.
func (c *Conn) notify(ch StatusChange) {
	if c.opts.OnStatus == nil || c.disp == nil {
		return
	}
	c.disp.push(delivery{kind: deliverFunc, fn: func() { c.opts.OnStatus(ch) }})
}

// closeRelayedPorts closes the ports the hub relayed: they do not outlive
// the session.
func (c *Conn) closeRelayedPorts() {
	c.mu.Lock()
	relayed := c.ports
	c.ports = map[uint64]*Port{}
	c.mu.Unlock()
	for _, p := range relayed {
		p.mu.Lock()
		p.state = portClosed
		p.mu.Unlock()
		c.disp.push(delivery{kind: deliverPortClosed, port: p})
	}
}

// lost is called, by its reader or its writer, when session s failed with
// err. The connection ends, or an outage begins and a goroutine
// reconnects. It runs on an I/O goroutine: what it calls must not block.
func (c *Conn) lost(s *session, err error) {
	c.mu.Lock()
	if s.over {
		c.mu.Unlock()
		return
	}
	s.over = true
	close(s.lost)
	cause := err
	if s.remote != nil {
		cause = s.remote
	}
	status := c.Status()
	if c.sess != s || status == StatusClosed {
		c.mu.Unlock()
		s.out.close()
		return
	}
	if !c.mayReconnect(s.remote) {
		c.mu.Unlock()
		s.out.close()
		c.end(cause)
		return
	}
	unsent := s.out.abandon()
	if status != StatusConnected {
		// Lost while restoring: the reconnect loop tries again, with the
		// buffer as it is.
		c.mu.Unlock()
		return
	}

	// The outage begins. Sends accepted but not written yet are kept, in
	// order, ahead of those made from now on.
	dis := &disconnectedError{cause: cause}
	c.buf = newReconnectBuffer(c.opts.ReconnectBufBytes)
	for _, f := range unsent {
		if cl := c.clients[sendPeer(f)]; cl != nil {
			c.buf.add(buffered{cl: cl, frame: f}, false)
		}
	}
	c.back = make(chan struct{})
	waiting := c.pending
	c.pending = make(map[uint64]*pending)
	adds := c.adds
	c.adds = make(map[uint64]chan added)
	for _, cl := range c.order {
		cl.status.CompareAndSwap(int32(StatusConnected), int32(StatusReconnecting))
	}
	order := c.order
	c.setStatusLocked(StatusDisconnected, cause, 0)
	c.wg.Add(1)
	go c.reconnect(s, cause)
	c.mu.Unlock()

	for _, p := range waiting {
		p.settle(result{err: dis})
	}
	for _, ch := range adds {
		ch <- added{err: dis}
	}
	// Flush calls under way see s.lost.
	c.closeRelayedPorts()
	for _, h := range hooksOf(order) {
		if later := h.connLost(dis); later != nil {
			c.disp.push(delivery{kind: deliverFunc, fn: later})
		}
	}
}

// sendPeer returns the sending peer of a send frame, or 0 for any other
// frame (the only ones kept across an outage are plain sends).
func sendPeer(f wire.OutFrame) uint64 {
	b := append(append(make([]byte, 0, f.Len()), f.Head...), f.Body...)
	fr, err := wire.Decode(b)
	if err != nil || fr.Kind != wire.KindSend || len(fr.Ports) > 0 {
		return 0
	}
	return fr.Peer
}

// reconnect runs the attempts of one outage, after old is lost: each waits
// (backoff and jitter), redials, says hello and restores the connection's
// peers. It ends the connection when an attempt meets a terminal refusal
// or when Options.MaxReconnects attempts failed.
func (c *Conn) reconnect(old *session, cause error) {
	defer c.wg.Done()
	<-old.readerDone // one reader at a time
	wait := c.opts.ReconnectWait
	for attempt := 1; ; attempt++ {
		if max := c.opts.MaxReconnects; max > 0 && attempt > max {
			c.end(fmt.Errorf("ipcbus: gave up reconnecting after %d attempts: %w", max, cause))
			return
		}
		d := wait
		if j := c.opts.ReconnectJitter; j > 0 {
			d += rand.N(j)
		}
		wait = min(2*wait, c.opts.MaxReconnectWait)
		timer := time.NewTimer(d)
		select {
		case <-c.life.Done():
			timer.Stop()
			return
		case <-timer.C:
		}
		c.mu.Lock()
		if c.Status() == StatusClosed {
			c.mu.Unlock()
			return
		}
		c.setStatusLocked(StatusReconnecting, cause, attempt)
		c.mu.Unlock()

		err := c.attempt(attempt)
		if err == nil {
			return
		}
		if terminal(err) {
			c.end(err)
			return
		}
		cause = err
		c.mu.Lock()
		if c.Status() == StatusClosed {
			c.mu.Unlock()
			return
		}
		c.setStatusLocked(StatusDisconnected, err, attempt)
		c.mu.Unlock()
	}
}

// attempt dials again and restores the connection on the new session.
func (c *Conn) attempt(n int) error {
	ctx, cancel, allowed := limitCtx(c.life, c.opts.ConnectTimeout)
	defer cancel()
	s, welcome, err := c.open(ctx, c.opts.Redial, allowed)
	if err != nil {
		return err
	}
	if err := c.restore(ctx, s, welcome, n); err != nil {
		s.t.Close()
		<-s.readerDone
		c.mu.Lock()
		remote := s.remote
		for _, cl := range c.order { // back from a half-done restore
			cl.status.CompareAndSwap(int32(StatusConnected), int32(StatusReconnecting))
		}
		c.mu.Unlock()
		if remote != nil {
			return remote
		}
		return err
	}
	return nil
}

// restore makes s the current session and, on it, adds again every peer
// of the connection (the hub gives them new ids), subscribes their
// channels, sends what was buffered during the outage, in order, and
// switches to StatusConnected. Services and proxies are then told, on a
// goroutine of their own.
func (c *Conn) restore(ctx context.Context, s *session, welcome wire.Welcome, attempt int) error {
	c.mu.Lock()
	if c.Status() == StatusClosed {
		c.mu.Unlock()
		close(s.readerDone) // it never got a reader
		return ErrClosed
	}
	c.welcome = welcome
	c.startLocked(s)
	clients := c.order
	type readd struct {
		cl *Client
		ch chan added
		a  added
	}
	adds := make([]readd, len(clients))
	var handles []uint64
	defer func() {
		c.mu.Lock()
		for _, h := range handles {
			delete(c.adds, h)
		}
		c.mu.Unlock()
	}()
	for i, cl := range clients {
		c.nextID++
		handle := c.nextID
		adds[i] = readd{cl: cl, ch: make(chan added, 1)}
		c.adds[handle] = adds[i].ch
		handles = append(handles, handle)
		f, _ := wire.Append(nil, &wire.Frame{Kind: wire.KindPeerAdd, ID: handle, Body: wire.AppendPeerInfo(nil, cl.info)})
		s.out.queue(ctx, wire.OutFrame{Head: f}, false)
	}
	c.mu.Unlock()
	s.out.signal()
	for i := range adds {
		select {
		case adds[i].a = <-adds[i].ch:
		case <-s.lost:
			return ErrDisconnected
		case <-ctx.Done():
			return c.connectError(ctx.Err(), c.opts.ConnectTimeout)
		}
	}

	// The new ids; then each client, under its emitter's lock (so that
	// On and Close see it either before or after), gets its id and its
	// subscriptions.
	c.mu.Lock()
	ids := make(map[uint64]*Client, len(adds))
	var kept []*Client
	for _, r := range adds {
		if r.a.err == nil && r.cl.Status() != StatusClosed {
			ids[r.a.peer.ID] = r.cl
			kept = append(kept, r.cl)
		}
	}
	c.clients = ids
	c.order = kept
	c.mu.Unlock()
	var refused []*Client
	for _, r := range adds {
		cl := r.cl
		cl.em.mu.Lock()
		switch {
		case r.a.err != nil:
			cl.status.Store(int32(StatusClosed))
			refused = append(refused, cl)
			c.opts.OnError(fmt.Errorf("ipcbus: reconnect: peer %q: %w", cl.info.Name, r.a.err))
		case cl.Status() == StatusClosed: // closed during the outage
			rm, _ := wire.Append(nil, &wire.Frame{Kind: wire.KindPeerRemove, Peer: r.a.peer.ID})
			s.out.push(ctx, wire.OutFrame{Head: rm}, false)
		default:
			cl.mu.Lock()
			cl.peer = r.a.peer
			cl.mu.Unlock()
			cl.status.Store(int32(StatusConnected))
			for ch := range cl.em.byChan {
				f, _ := wire.Append(nil, &wire.Frame{Kind: wire.KindSubscribe, Channel: ch, Peer: r.a.peer.ID})
				s.out.push(ctx, wire.OutFrame{Head: f}, false)
			}
		}
		cl.em.mu.Unlock()
	}

	// A ping round trip: once the status says connected, the hub has the
	// subscriptions, so nothing sent to them from then on is lost.
	c.mu.Lock()
	c.nextID++
	pingID := c.nextID
	pong := make(chan struct{})
	c.pings[pingID] = pong
	c.mu.Unlock()
	ping, _ := wire.Append(nil, &wire.Frame{Kind: wire.KindPing, ID: pingID})
	s.out.push(ctx, wire.OutFrame{Head: ping}, false)
	select {
	case <-pong:
	case <-s.lost:
		return ErrDisconnected
	case <-ctx.Done():
		c.mu.Lock()
		delete(c.pings, pingID)
		c.mu.Unlock()
		return c.connectError(ctx.Err(), c.opts.ConnectTimeout)
	}

	// What was buffered goes out in order, ahead of anything sent once
	// the status says connected.
	c.mu.Lock()
	if s.over || c.Status() == StatusClosed {
		c.mu.Unlock()
		return ErrDisconnected
	}
	var orphans []*pending
	for _, e := range c.buf.entries {
		cl := e.cl
		if c.clients[cl.peerID()] != cl {
			// Its client closed, or was refused: never sent.
			if p := c.pending[e.reqID]; e.reqID != 0 && p != nil {
				delete(c.pending, e.reqID)
				orphans = append(orphans, p)
			}
			continue
		}
		f, err := withPeer(e.frame, cl.peerID())
		if err != nil {
			continue
		}
		s.out.queue(ctx, f, false)
		if p := c.pending[e.reqID]; e.reqID != 0 && p != nil {
			p.queued = false
		}
	}
	c.buf = nil
	back := c.back
	c.back = nil
	c.setStatusLocked(StatusConnected, nil, attempt)
	close(back)
	order := c.order
	c.wg.Add(1)
	c.mu.Unlock()
	s.out.signal()
	for _, p := range orphans {
		p.settle(result{err: ErrClosed})
	}
	for _, cl := range refused {
		cl.connEnded(ErrRefused)
	}
	go c.runHooks(hooksOf(order))
	return nil
}

// withPeer returns f with its sending peer replaced by id.
func withPeer(f wire.OutFrame, id uint64) (wire.OutFrame, error) {
	b := append(append(make([]byte, 0, f.Len()), f.Head...), f.Body...)
	fr, err := wire.Decode(b)
	if err != nil {
		return f, err
	}
	body := fr.Body
	fr.Body = nil
	fr.Peer = id
	head, err := wire.AppendHeader(make([]byte, 0, len(f.Head)+8), &fr)
	return wire.OutFrame{Head: head, Body: body}, err
}

// reconnectHook is implemented by what owns listeners (their WithKey) and
// keeps state at the hub beyond a subscription: a Service announces its
// start again, a ServiceProxy follows its service's new session.
type reconnectHook interface {
	// connLost runs when the connection is lost, on the goroutine that saw
	// it: it only changes state, and returns what to run on the dispatch
	// goroutine (its listeners), or nil.
	connLost(cause error) (later func())
	// reconnected runs once reconnected, on a goroutine of the engine's.
	reconnected(ctx context.Context)
}

// hooksOf returns the reconnect hooks of clients' listeners, services
// before proxies, each once.
func hooksOf(clients []*Client) []reconnectHook {
	seen := make(map[reconnectHook]bool)
	var first, last []reconnectHook
	for _, cl := range clients {
		cl.em.mu.Lock()
		for _, list := range cl.em.byChan {
			for _, l := range list {
				h, ok := l.key.(reconnectHook)
				if !ok || seen[h] {
					continue
				}
				seen[h] = true
				if _, later := h.(interface{ proxyHook() }); later {
					last = append(last, h)
				} else {
					first = append(first, h)
				}
			}
		}
		cl.em.mu.Unlock()
	}
	return append(first, last...)
}

func (c *Conn) runHooks(hooks []reconnectHook) {
	defer c.wg.Done()
	for _, h := range hooks {
		ctx, cancel := context.WithTimeout(c.life, c.opts.ConnectTimeout)
		h.reconnected(ctx)
		cancel()
	}
}

// reconnectBuffer holds the frames of clients made during an outage, in
// order, up to a bound in bytes.
type reconnectBuffer struct {
	entries []buffered
	bytes   int
	max     int
}

type buffered struct {
	cl    *Client
	frame wire.OutFrame
	reqID uint64 // a request: removed when it is given up
}

func newReconnectBuffer(max int) *reconnectBuffer { return &reconnectBuffer{max: max} }

// add appends e; with limited set it fails past the bound.
func (b *reconnectBuffer) add(e buffered, limited bool) error {
	n := e.frame.Len()
	if limited && b.bytes+n > b.max {
		return fmt.Errorf("%w: %d of %d bytes buffered", ErrReconnectBufferFull, b.bytes, b.max)
	}
	b.entries = append(b.entries, e)
	b.bytes += n
	return nil
}

// remove drops the buffered request reqID, if there.
func (b *reconnectBuffer) remove(reqID uint64) {
	for i, e := range b.entries {
		if e.reqID == reqID {
			b.bytes -= e.frame.Len()
			b.entries = append(b.entries[:i], b.entries[i+1:]...)
			return
		}
	}
}

// sends counts the buffered frames that are not requests.
func (b *reconnectBuffer) sends() int {
	n := 0
	for _, e := range b.entries {
		if e.reqID == 0 {
			n++
		}
	}
	return n
}

// abandon closes the queue as close does, and returns the frames it held
// that no write had taken yet.
func (o *outbound) abandon() []wire.OutFrame {
	o.mu.Lock()
	var unsent []wire.OutFrame
	if !o.closed {
		unsent = o.frames
		o.closed = true
		o.frames = nil
		close(o.room)
		o.room = make(chan struct{})
	}
	o.mu.Unlock()
	o.signal()
	return unsent
}
