package bus

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ipcbus/ipcbus/shared/wire"
)

// Conn is one connection to a hub, carrying the frames of every Client
// made on it. Its methods are safe for concurrent use.
type Conn struct {
	opts     Options
	dial     Dialer
	life     context.Context // ended by end: stops reconnecting
	stopLife context.CancelFunc

	status    atomic.Int32
	mu        sync.Mutex
	ready     chan struct{} // closed when the current connect attempt ends
	connErr   error         // the last connect attempt's error
	sess      *session      // the current transport, nil before the first connect
	back      chan struct{} // closed when an outage ends, reconnected or closed
	buf       *reconnectBuffer
	welcome   wire.Welcome
	clients   map[uint64]*Client       // connected clients by peer id
	order     []*Client                // the same, in joining order; copied on write
	adds      map[uint64]chan added    // peer.add in flight, by handle
	pending   map[uint64]*pending      // requests in flight, by request id
	pings     map[uint64]chan struct{} // Flush calls waiting for their pong
	ports     map[uint64]*Port         // relayed ports, by this connection's id for them
	transfers map[uint64]*Port         // ends of ports sent to a peer of this connection, not yet delivered
	nextID    uint64
	cause     error         // why the connection ended
	done      chan struct{} // closed when the connection has ended

	disp *dispatcher
	wg   sync.WaitGroup // readers, writers, the reconnect loop and its hooks

	senders map[string]Peer // decoded sender peers; reader goroutine only
	dec     wire.Decoder    // reader goroutine only
	inbox   []delivery      // read, not yet handed to the dispatcher; reader goroutine only
}

type added struct {
	peer Peer
	err  error
}

// NewConn returns a connection that dials with dial when first connected.
// opts may be nil (every default); it is copied.
func NewConn(dial Dialer, opts *Options) *Conn {
	var o Options
	if opts != nil {
		o = *opts
	}
	life, stop := context.WithCancel(context.Background())
	return &Conn{
		opts:      o.withDefaults(),
		dial:      dial,
		life:      life,
		stopLife:  stop,
		clients:   make(map[uint64]*Client),
		adds:      make(map[uint64]chan added),
		pending:   make(map[uint64]*pending),
		pings:     make(map[uint64]chan struct{}),
		ports:     make(map[uint64]*Port),
		transfers: make(map[uint64]*Port),
		done:      make(chan struct{}),
		senders:   make(map[string]Peer),
	}
}

// Status returns the connection's state.
func (c *Conn) Status() Status { return Status(c.status.Load()) }

// Done is closed when the connection has ended; Err then says why.
func (c *Conn) Done() <-chan struct{} { return c.done }

// Err returns why the connection ended (nil while it is open). It matches
// ErrClosed, and a *wire.CloseError when the hub gave a reason.
func (c *Conn) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cause
}

// MaxFrameBytes is the hub's frame limit, known once connected.
func (c *Conn) MaxFrameBytes() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.welcome.MaxFrameBytes > 0 {
		return c.welcome.MaxFrameBytes
	}
	return wire.DefaultMaxFrameBytes
}

// Connect dials the hub and does the handshake. Calls while a handshake is
// under way wait for it; calls once connected return nil at once. A ctx
// without deadline gets Options.ConnectTimeout. A failed attempt may be
// retried; Connect after Close returns ErrClosed.
func (c *Conn) Connect(ctx context.Context) error {
	ctx, cancel, allowed := limitCtx(ctx, c.opts.ConnectTimeout)
	defer cancel()
	c.mu.Lock()
	for st := c.Status(); st.outage(); st = c.Status() {
		back := c.back
		c.mu.Unlock()
		select {
		case <-back:
		case <-ctx.Done():
			return c.connectError(ctx.Err(), allowed)
		}
		c.mu.Lock()
	}
	switch c.Status() {
	case StatusConnected:
		c.mu.Unlock()
		return nil
	case StatusClosed:
		c.mu.Unlock()
		return ErrClosed
	case StatusConnecting:
		ready := c.ready
		c.mu.Unlock()
		select {
		case <-ready:
			c.mu.Lock()
			defer c.mu.Unlock()
			return c.connErr
		case <-ctx.Done():
			return c.connectError(ctx.Err(), allowed)
		}
	}
	c.status.Store(int32(StatusConnecting))
	ready := make(chan struct{})
	c.ready = ready
	c.mu.Unlock()

	err := c.handshake(ctx, allowed)

	c.mu.Lock()
	c.connErr = err
	if err != nil && c.Status() == StatusConnecting {
		c.status.Store(int32(StatusIdle))
	}
	close(ready)
	c.mu.Unlock()
	return err
}

// connectError is why a connect failed, naming the hub (Options.Addr) when
// known: a deadline that passed becomes a timeout (ErrTimeout) that says
// the time allowed.
func (c *Conn) connectError(err error, allowed time.Duration) error {
	if errors.Is(err, context.DeadlineExceeded) {
		err = &timedOut{after: allowed}
	}
	if c.opts.Addr != "" {
		return fmt.Errorf("ipcbus: connect to %s: %w", c.opts.Addr, err)
	}
	return fmt.Errorf("ipcbus: connect: %w", err)
}

// handshake connects a first time; allowed is the time ctx allows (for
// the timeout error).
func (c *Conn) handshake(ctx context.Context, allowed time.Duration) error {
	s, welcome, err := c.open(ctx, c.dial, allowed)
	if err != nil {
		return err
	}
	c.mu.Lock()
	if c.Status() == StatusClosed { // closed while connecting
		c.mu.Unlock()
		s.t.Close()
		return ErrClosed
	}
	c.welcome = welcome
	c.disp = newDispatcher(c.opts.MaxQueuedEvents, c.opts.MaxQueuedEventBytes)
	c.startLocked(s)
	c.setStatusLocked(StatusConnected, nil, 0)
	c.mu.Unlock()
	go c.disp.run(c.deliver, c.reportDrops)
	return nil
}

// open dials with dial and greets the hub: it returns a session not yet
// started.
func (c *Conn) open(ctx context.Context, dial Dialer, allowed time.Duration) (*session, wire.Welcome, error) {
	t, err := dial(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil, wire.Welcome{}, c.connectError(ctx.Err(), allowed)
		}
		return nil, wire.Welcome{}, fmt.Errorf("ipcbus: connect: %w", err)
	}
	// Until the welcome, ctx expiring closes the transport to unblock I/O.
	stop := context.AfterFunc(ctx, func() { t.Close() })
	welcome, err := c.greet(t)
	if !stop() {
		t.Close()
		return nil, welcome, c.connectError(ctx.Err(), allowed)
	}
	if err != nil {
		t.Close()
		return nil, welcome, err
	}
	if fl, ok := t.(FrameLimiter); ok && welcome.MaxFrameBytes > 0 {
		fl.SetMaxFrame(welcome.MaxFrameBytes + wire.FrameOverheadBytes)
	}
	return newSession(t, c.opts.MaxOutboundBytes), welcome, nil
}

// startLocked makes s the current session and starts its reader and
// writer. c.mu must be held.
func (c *Conn) startLocked(s *session) {
	c.sess = s
	c.wg.Add(2)
	go c.readLoop(s)
	go c.writeLoop(s)
}

// greet sends hello and reads the welcome, or the hub's reason to refuse.
func (c *Conn) greet(t Transport) (wire.Welcome, error) {
	var w wire.Welcome
	body := wire.AppendHello(nil, wire.Hello{Version: wire.Version, Token: c.opts.Token, Process: c.opts.Process})
	hello, err := wire.Append(nil, &wire.Frame{Kind: wire.KindHello, Body: body})
	if err != nil {
		return w, err
	}
	if err := t.WriteFrames([]wire.OutFrame{{Head: hello}}); err != nil {
		// A hub that refuses a connection at once (a user it does not
		// admit, a limit) may close it before it reads hello: its reason
		// can still be waiting to be read.
		if b, rerr := t.ReadFrame(); rerr == nil {
			if f, derr := wire.Decode(b); derr == nil && f.Kind == wire.KindClose {
				return w, fmt.Errorf("ipcbus: connect: %w", closeFrameError(&f))
			}
		}
		return w, fmt.Errorf("ipcbus: connect: %w", err)
	}
	b, err := t.ReadFrame()
	if errors.Is(err, wire.ErrFrameTooLarge) {
		// The hub's first frame is small: a length over the limit is other
		// bytes, such as an HTTP server's "HTTP/1.1 400".
		return w, fmt.Errorf("ipcbus: connect: %w: its first bytes are no frame of ours", ErrNotAHub)
	}
	if err != nil {
		return w, fmt.Errorf("ipcbus: connect: %w", err)
	}
	f, err := wire.Decode(b)
	if err != nil {
		return w, fmt.Errorf("ipcbus: connect: %w: %v", ErrNotAHub, err)
	}
	switch f.Kind {
	case wire.KindWelcome:
		if w, err = wire.DecodeWelcome(f.Body); err != nil {
			return w, fmt.Errorf("ipcbus: connect: bad welcome: %w", err)
		}
		return w, nil
	case wire.KindClose:
		return w, fmt.Errorf("ipcbus: connect: %w", closeFrameError(&f))
	}
	return w, fmt.Errorf("ipcbus: connect: %w: hub sent %v before welcome", wire.ErrMalformed, f.Kind)
}

func closeFrameError(f *wire.Frame) *wire.CloseError {
	reason, _ := wire.DecodeString(f.Body)
	return &wire.CloseError{Code: wire.CloseCode(f.Code), Reason: reason}
}

// closedError is how the engine reports a connection that ended: it
// matches ErrClosed and unwraps to the cause.
type closedError struct{ cause error }

func (e *closedError) Error() string        { return "ipcbus: closed: " + e.cause.Error() }
func (e *closedError) Unwrap() error        { return e.cause }
func (e *closedError) Is(target error) bool { return target == ErrClosed }

// Close says goodbye to the hub, flushes what was queued and ends the
// connection; it stops reconnecting. Pending requests fail with ErrClosed,
// and what was buffered during an outage is dropped. Close is idempotent;
// calls after the first return ErrClosed.
func (c *Conn) Close() error {
	c.mu.Lock()
	switch c.Status() {
	case StatusClosed:
		c.mu.Unlock()
		return ErrClosed
	case StatusIdle, StatusConnecting:
		c.status.Store(int32(StatusClosed))
		c.cause = ErrClosed
		close(c.done)
		c.mu.Unlock()
		return nil
	}
	s := c.sess
	c.mu.Unlock()
	reason := wire.AppendStr(nil, "client closed")
	bye, _ := wire.Append(nil, &wire.Frame{Kind: wire.KindClose, Code: uint16(wire.CloseNormal), Body: reason})
	s.out.finish(bye) // a no-op on a session lost already
	c.end(ErrClosed)
	c.wg.Wait()
	return nil
}

// end marks the connection closed once, fails what waits on it and stops
// its goroutines. The writer still flushes if finish was called first.
func (c *Conn) end(cause error) {
	c.mu.Lock()
	if c.Status() == StatusClosed {
		c.mu.Unlock()
		return
	}
	if cause != ErrClosed {
		cause = &closedError{cause: cause}
	}
	c.cause = cause
	c.status.Store(int32(StatusClosed))
	c.stopLife()
	if c.back != nil {
		close(c.back)
		c.back = nil
	}
	var unsent int
	if c.buf != nil {
		unsent = c.buf.sends()
		c.buf = nil
	}
	waiting := c.pending
	c.pending = map[uint64]*pending{}
	adds := c.adds
	c.adds = map[uint64]chan added{}
	clients := c.clients
	c.clients = map[uint64]*Client{}
	c.order = nil
	close(c.done)
	c.mu.Unlock()

	for _, p := range waiting {
		p.settle(result{err: cause})
	}
	for _, ch := range adds {
		ch <- added{err: cause}
	}
	for _, cl := range clients {
		cl.connEnded(cause)
	}
	c.closeRelayedPorts()
	if unsent > 0 && cause != ErrClosed {
		c.disp.push(delivery{kind: deliverFunc, fn: func() {
			c.opts.OnError(fmt.Errorf("ipcbus: %d sends buffered while reconnecting were dropped: %w", unsent, cause))
		}})
	}
	c.notify(StatusChange{Status: StatusClosed, Err: cause})
	c.disp.close()
	if c.opts.OnClose != nil {
		go c.opts.OnClose(cause)
	}
}

func (c *Conn) writeLoop(s *session) {
	defer c.wg.Done()
	defer s.t.Close()
	out := s.out
	var spare []wire.OutFrame
	for range out.wake {
		out.wmu.Lock()
		batch, n, stop := out.take(spare)
		spare = batch // the written batch is the next queue to fill
		err := c.write(s, batch, n)
		out.wmu.Unlock()
		if err != nil {
			return
		}
		if stop {
			out.close()
			return
		}
	}
}

// write writes a batch taken from s.out; s.out.wmu is held. A failed
// write loses the session.
func (c *Conn) write(s *session, batch []wire.OutFrame, n int) error {
	if len(batch) == 0 {
		return nil
	}
	err := s.t.WriteFrames(batch)
	clear(batch)
	s.out.release(n)
	if err != nil {
		c.lost(s, err)
	}
	return err
}

// pushNow queues a frame and, when no write is under way, writes the
// queue on the calling goroutine instead of waking the writer: a request or
// a response then leaves without a goroutine switch. Under js/wasm, where a
// write may wait and callers may be JS callbacks, it writes only when the
// transport says the write would not wait (writesInline).
// The frame goes on session s only: it fails with ErrDisconnected once s
// is lost.
func (c *Conn) pushNow(ctx context.Context, s *session, frame wire.OutFrame, limited bool) error {
	c.mu.Lock()
	cur, status, cause := c.sess, c.Status(), c.cause
	live := s != nil && !s.over
	c.mu.Unlock()
	switch {
	case status == StatusClosed:
		return cause
	case cur == s && live && (status == StatusConnected || status == StatusReconnecting):
		// (Reconnecting: answers to what the hub sent once the peers
		// were back, before the buffered frames went out.)
	case s != nil:
		return ErrDisconnected
	default:
		return ErrNotConnected
	}
	out := s.out
	locked := false
	if frame.Tail != nil && !limited {
		// An answer in the caller's memory (native only: see
		// send_borrowed.go): written now when no write is under way, else
		// copied and left to the writer, so that a listener answering
		// never waits behind other writes. (The queue does not wait
		// without a limit, so wmu may be held while queueing.)
		if locked = out.wmu.TryLock(); !locked {
			frame = joined(frame)
		}
	}
	if err := out.queue(ctx, frame, limited); err != nil {
		if locked {
			out.wmu.Unlock()
		}
		if errors.Is(err, ErrClosed) {
			return ErrDisconnected
		}
		return err
	}
	switch {
	case locked:
	case frame.Tail != nil:
		// A send or request in the caller's memory: written before this
		// returns, after what the writer may be writing.
		out.wmu.Lock()
	case !writesInline(s.t) || !out.wmu.TryLock():
		out.signal() // the writer is busy: it takes this next
		return nil
	}
	batch, n, _ := out.take(nil)
	c.write(s, batch, n)
	out.wmu.Unlock()
	return nil
}

func (c *Conn) readLoop(s *session) {
	defer c.wg.Done()
	defer close(s.readerDone)
	clear(c.senders) // identities of an earlier hub's peers
	buffered, _ := s.t.(interface{ Buffered() int })
	for {
		b, err := s.t.ReadFrame()
		if err != nil {
			c.flushInbox(s)
			c.lost(s, err)
			return
		}
		if err := c.handleFrame(s, b); err != nil {
			c.flushInbox(s)
			c.protocolError(s, err)
			return
		}
		// Events go to the dispatcher in batches: once what the transport
		// holds is handled, or every maxInbox events.
		if len(c.inbox) >= maxInbox || len(c.inbox) > 0 && (buffered == nil || buffered.Buffered() == 0) {
			c.flushInbox(s)
		}
	}
}

// maxInbox bounds the events the reader gathers before dispatching them.
const maxInbox = 256

// flushInbox hands the gathered events to the dispatcher and declines the
// requests among them it had no room for.
func (c *Conn) flushInbox(s *session) {
	if len(c.inbox) == 0 {
		return
	}
	for _, id := range c.disp.pushAll(c.inbox) {
		c.decline(s, id)
	}
	clear(c.inbox)
	c.inbox = c.inbox[:0]
}

// protocolError closes the connection because the hub sent nonsense.
func (c *Conn) protocolError(s *session, err error) {
	reason := wire.AppendStr(nil, err.Error())
	bye, _ := wire.Append(nil, &wire.Frame{Kind: wire.KindClose, Code: uint16(wire.CloseProtocolError), Body: reason})
	s.out.finish(bye)
	c.end(err)
}

func (c *Conn) handleFrame(s *session, b []byte) error {
	f, err := c.dec.Decode(b)
	if err != nil {
		return err
	}
	switch f.Kind {
	case wire.KindPortMessage:
		c.inbox = append(c.inbox, delivery{kind: deliverPortMessage, portID: f.ID, args: f.Body})
	case wire.KindPortClose:
		c.inbox = append(c.inbox, delivery{kind: deliverPortClosed, portID: f.ID})
	case wire.KindMessage:
		d := delivery{channel: f.Channel, to: f.To.Peer, reqID: f.ID, ports: f.Ports, args: f.Body, sess: s, mem: takeFrameMem(s.t)}
		if d.sender, err = c.sender(f.Sender); err != nil {
			return err
		}
		c.inbox = append(c.inbox, d)
	case wire.KindResponse:
		c.mu.Lock()
		p := c.pending[f.ID]
		delete(c.pending, f.ID)
		c.mu.Unlock()
		if p == nil {
			return nil // settled already (timed out or cancelled)
		}
		r := result{status: wire.Status(f.Code), body: f.Body}
		if r.sender, err = c.sender(f.Sender); err != nil {
			return err
		}
		p.settle(r)
	case wire.KindPeerAdded:
		c.mu.Lock()
		ch := c.adds[f.ID]
		delete(c.adds, f.ID)
		c.mu.Unlock()
		if ch == nil { // its Connect gave up: take the peer back
			if f.Code == 0 {
				rm, _ := wire.Append(nil, &wire.Frame{Kind: wire.KindPeerRemove, Peer: f.Peer})
				s.out.push(context.Background(), wire.OutFrame{Head: rm}, false)
			}
			return nil
		}
		var a added
		if f.Code != 0 {
			reason, _ := wire.DecodeString(f.Body)
			a.err = fmt.Errorf("%w: %s", ErrRefused, reason)
		} else if a.peer, err = wire.DecodePeer(f.Body); err != nil {
			return err
		}
		ch <- a
	case wire.KindPing:
		pong, _ := wire.Append(nil, &wire.Frame{Kind: wire.KindPong, ID: f.ID})
		s.out.push(context.Background(), wire.OutFrame{Head: pong}, false)
	case wire.KindPong:
		c.mu.Lock()
		if ch := c.pings[f.ID]; ch != nil {
			delete(c.pings, f.ID)
			close(ch)
		}
		c.mu.Unlock()
	case wire.KindClose:
		c.mu.Lock()
		s.remote = closeFrameError(&f)
		c.mu.Unlock()
	default:
		return fmt.Errorf("%w: unexpected %v from the hub", wire.ErrMalformed, f.Kind)
	}
	return nil
}

// sender decodes the raw sender peer of a frame, caching by its bytes.
func (c *Conn) sender(raw []byte) (Peer, error) {
	if p, ok := c.senders[string(raw)]; ok {
		return p, nil
	}
	var p Peer
	if len(raw) > 0 {
		var err error
		if p, err = wire.DecodePeer(raw); err != nil {
			return p, fmt.Errorf("sender: %w", err)
		}
	}
	if len(c.senders) >= 4096 {
		clear(c.senders)
	}
	c.senders[string(raw)] = p
	return p, nil
}

func (c *Conn) reportDrops(total uint64) {
	c.opts.OnError(fmt.Errorf("%w (%d dropped so far)", ErrSlowConsumer, total))
}

// Dropped returns how many events were dropped because the dispatch queue
// was full.
func (c *Conn) Dropped() uint64 {
	c.mu.Lock()
	d := c.disp
	c.mu.Unlock()
	if d == nil {
		return 0
	}
	return d.droppedCount()
}

// deliver runs on the dispatch goroutine: it hands one message to the
// listeners of the local peers it is for.
func (c *Conn) deliver(d *delivery) {
	switch d.kind {
	case deliverFunc:
		d.fn()
		return
	case deliverPortMessage, deliverPortClosed:
		if d.port == nil {
			c.portEvent(d)
		} else if d.kind == deliverPortMessage {
			d.port.receive(d.args)
		} else {
			d.port.runClose()
		}
		return
	case deliverPortFlush:
		d.port.flush()
		return
	}
	var ports []*Port
	if len(d.ports) > 0 {
		ports = c.eventPorts(d.ports)
	}
	c.mu.Lock()
	targets := c.order
	if d.to != 0 {
		targets = nil
		if cl := c.clients[d.to]; cl != nil {
			targets = []*Client{cl}
		}
	}
	c.mu.Unlock()
	var settled *atomic.Bool
	if d.reqID != 0 {
		settled = new(atomic.Bool)
	}
	heard := false
	for _, cl := range targets {
		if cl.emit(d, settled, ports) {
			heard = true
		}
	}
	d.mem.done()
	if d.reqID != 0 && !heard {
		c.decline(d.sess, d.reqID)
	}
}

// dispatch queues a delivery made in this process (port traffic between
// two local ends); it reports false when the queue is full.
func (c *Conn) dispatch(d delivery) bool {
	c.mu.Lock()
	disp := c.disp
	c.mu.Unlock()
	if disp == nil {
		return false
	}
	return disp.push(d)
}

// decline tells the hub that no listener here takes request id, so that it
// stops counting this connection among the request's responders. A
// request that came on a session lost since is forgotten by its hub.
func (c *Conn) decline(s *session, id uint64) {
	f, _ := wire.Append(nil, &wire.Frame{Kind: wire.KindResponse, ID: id, Code: uint16(wire.StatusNoListener)})
	c.pushNow(context.Background(), s, wire.OutFrame{Head: f}, false)
}

// newID returns a fresh request id or peer handle.
func (c *Conn) newID() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.nextID++
	return c.nextID
}

// addPeer registers a peer with the hub and waits for its id.
func (c *Conn) addPeer(ctx context.Context, info wire.PeerInfo) (Peer, error) {
	body := wire.AppendPeerInfo(nil, info)
	handle := c.newID()
	f, _ := wire.Append(nil, &wire.Frame{Kind: wire.KindPeerAdd, ID: handle, Body: body})
	ch := make(chan added, 1)
	c.mu.Lock()
	if c.Status() != StatusConnected {
		c.mu.Unlock()
		return Peer{}, ErrNotConnected
	}
	c.adds[handle] = ch
	out := c.sess.out
	c.mu.Unlock()
	if err := out.push(ctx, wire.OutFrame{Head: f}, false); err != nil {
		return Peer{}, ErrDisconnected
	}
	select {
	case a := <-ch:
		return a.peer, a.err
	case <-ctx.Done():
		c.mu.Lock()
		delete(c.adds, handle)
		c.mu.Unlock()
		// The hub may still add it: remove it should it arrive.
		return Peer{}, ctx.Err()
	}
}

// Flush waits until the hub has processed every frame queued before it (a
// ping round trip): subscriptions made before Flush are then in place.
// During an outage it waits for the reconnect first; a Flush under way
// when the connection is lost fails with ErrDisconnected.
func (c *Conn) Flush(ctx context.Context) error {
	s, err := c.waitConnected(ctx)
	if err != nil {
		return fmt.Errorf("ipcbus: flush: %w", err)
	}
	id := c.newID()
	ch := make(chan struct{})
	c.mu.Lock()
	c.pings[id] = ch
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.pings, id)
		c.mu.Unlock()
	}()
	f, _ := wire.Append(nil, &wire.Frame{Kind: wire.KindPing, ID: id})
	if err := s.out.push(ctx, wire.OutFrame{Head: f}, false); err != nil {
		return fmt.Errorf("ipcbus: flush: %w", ErrDisconnected)
	}
	select {
	case <-ch:
		return nil
	case <-c.done:
		return fmt.Errorf("ipcbus: flush: %w", c.Err())
	case <-s.lost:
		return fmt.Errorf("ipcbus: flush: %w", ErrDisconnected)
	case <-ctx.Done():
		return fmt.Errorf("ipcbus: flush: %w", ctx.Err())
	}
}

// waitConnected returns the current session, waiting out an outage.
func (c *Conn) waitConnected(ctx context.Context) (*session, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for {
		switch st := c.Status(); {
		case st == StatusConnected:
			return c.sess, nil
		case st == StatusClosed:
			return nil, c.cause
		case st.outage():
			back := c.back
			c.mu.Unlock()
			select {
			case <-back:
			case <-ctx.Done():
				c.mu.Lock()
				return nil, ctx.Err()
			}
			c.mu.Lock()
		default:
			return nil, ErrNotConnected
		}
	}
}

// push queues a frame of the connection's own for the hub.
func (c *Conn) push(ctx context.Context, frame []byte, limited bool) error {
	return c.pushFrame(ctx, wire.OutFrame{Head: frame}, limited)
}

// pushFrame queues a frame of the connection's own, in two pieces, for
// the hub. During an outage it fails with ErrDisconnected: what it sends
// (pings, cancels, port traffic) belongs to the lost session.
func (c *Conn) pushFrame(ctx context.Context, frame wire.OutFrame, limited bool) error {
	c.mu.Lock()
	s := c.sess
	status := c.Status()
	cause := c.cause
	c.mu.Unlock()
	switch {
	case status == StatusClosed:
		return cause
	case status == StatusConnected:
		return s.out.push(ctx, frame, limited)
	case status.outage():
		return ErrDisconnected
	}
	return ErrNotConnected
}

// pushFrom queues a frame of client cl: a send, a request (reqID not 0),
// a subscription or a peer removal. During an outage it is buffered, to
// be sent once reconnected with cl's new peer id; with limited set it
// fails past Options.ReconnectBufBytes. A frame with a Tail (the caller's
// memory: send_borrowed.go) is written before pushFrom returns, or
// buffered as a copy.
func (c *Conn) pushFrom(ctx context.Context, cl *Client, frame wire.OutFrame, limited bool) error {
	c.mu.Lock()
	s := c.sess
	status := c.Status()
	cause := c.cause
	switch {
	case status == StatusClosed:
		c.mu.Unlock()
		return cause
	case status == StatusConnected && frame.Tail != nil:
		c.mu.Unlock()
		return c.pushNow(ctx, s, frame, limited) // the caller's memory: written before it returns
	case status == StatusConnected:
		c.mu.Unlock()
		return s.out.push(ctx, frame, limited)
	case status.outage():
		err := c.buf.add(buffered{cl: cl, frame: joined(frame)}, limited)
		c.mu.Unlock()
		return err
	}
	c.mu.Unlock()
	return ErrNotConnected
}
