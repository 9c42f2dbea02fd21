package bus

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ipcbus/ipcbus/shared/wire"
)

// Client is a peer of the bus: it sends, requests and listens. Make one
// with NewClient (it owns its connection) or Conn.NewClient (it shares one).
// Listeners may be added before Connect; they are live once connected.
// Its methods are safe for concurrent use.
type Client struct {
	conn *Conn
	owns bool
	info wire.PeerInfo

	em     emitter
	status atomic.Int32 // StatusIdle, StatusConnecting, StatusConnected, StatusClosed

	mu      sync.Mutex
	ready   chan struct{} // closed when the current Connect attempt ends
	connErr error
	peer    Peer
}

// NewClient returns a client with a connection of its own, dialled on
// Connect and closed on Close. opts may be nil (every default).
func NewClient(dial Dialer, opts *Options) *Client {
	conn := NewConn(dial, opts)
	name := conn.opts.Name
	if name == "" {
		name = fmt.Sprintf("%s-%d", conn.opts.Process.Type, conn.opts.Process.PID)
	}
	cl := conn.NewClient(name, Process{})
	cl.owns = true
	return cl
}

// NewClient returns a client that shares this connection. A zero process
// takes the connection's.
func (c *Conn) NewClient(name string, process Process) *Client {
	if process == (Process{}) {
		process = c.opts.Process
	}
	cl := &Client{conn: c, info: wire.PeerInfo{Name: name, Process: process}}
	cl.em.onFirst = func(ch string) { cl.subscription(wire.KindSubscribe, ch) }
	cl.em.onLast = func(ch string) { cl.subscription(wire.KindUnsubscribe, ch) }
	return cl
}

// Conn returns the connection the client uses.
func (cl *Client) Conn() *Conn { return cl.conn }

// Peer returns the client's identity; its ID is zero until connected. The
// hub gives a new ID at each reconnect (see Options.OnStatus).
func (cl *Client) Peer() Peer {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	if cl.peer.ID == 0 {
		return Peer{Name: cl.info.Name, Process: cl.info.Process}
	}
	return cl.peer
}

// Status returns the client's state: StatusReconnecting while its
// connection is away.
func (cl *Client) Status() Status { return Status(cl.status.Load()) }

// peerID returns the client's id at the hub, which a reconnect changes.
func (cl *Client) peerID() uint64 {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	return cl.peer.ID
}

// Connect connects the client's connection if needed and joins the bus as a
// peer. A ctx without deadline gets Options.ConnectTimeout. Calls while a
// Connect is under way wait for it; once connected, Connect returns nil.
func (cl *Client) Connect(ctx context.Context) error {
	ctx, cancel, allowed := limitCtx(ctx, cl.conn.opts.ConnectTimeout)
	defer cancel()
	cl.mu.Lock()
	for cl.Status() == StatusReconnecting {
		cl.mu.Unlock()
		if _, err := cl.conn.waitConnected(ctx); err != nil {
			return err
		}
		cl.mu.Lock()
	}
	switch cl.Status() {
	case StatusConnected:
		cl.mu.Unlock()
		return nil
	case StatusClosed:
		cl.mu.Unlock()
		return ErrClosed
	case StatusConnecting:
		ready := cl.ready
		cl.mu.Unlock()
		select {
		case <-ready:
			cl.mu.Lock()
			defer cl.mu.Unlock()
			return cl.connErr
		case <-ctx.Done():
			return cl.conn.connectError(ctx.Err(), allowed)
		}
	}
	cl.status.Store(int32(StatusConnecting))
	ready := make(chan struct{})
	cl.ready = ready
	cl.mu.Unlock()

	err := cl.join(ctx, allowed)

	cl.mu.Lock()
	cl.connErr = err
	if err != nil && cl.Status() == StatusConnecting {
		cl.status.Store(int32(StatusIdle))
	}
	close(ready)
	cl.mu.Unlock()
	return err
}

func (cl *Client) join(ctx context.Context, allowed time.Duration) error {
	c := cl.conn
	if err := c.Connect(ctx); err != nil {
		return err
	}
	peer, err := c.addPeer(ctx, cl.info)
	if err != nil {
		return c.connectError(err, allowed)
	}
	c.mu.Lock()
	if c.Status() != StatusConnected {
		err := c.cause
		c.mu.Unlock()
		if err == nil { // lost meanwhile: the hub that added it is gone
			err = ErrDisconnected
		}
		return fmt.Errorf("ipcbus: connect: %w", err)
	}
	c.clients[peer.ID] = cl
	c.order = append(c.order[:len(c.order):len(c.order)], cl)
	c.mu.Unlock()
	cl.mu.Lock()
	cl.peer = peer
	cl.mu.Unlock()
	// Subscribe the channels that got listeners before now. Holding the
	// emitter's lock keeps a concurrent On from subscribing twice.
	cl.em.mu.Lock()
	if cl.Status() == StatusClosed {
		cl.em.mu.Unlock()
		return ErrClosed
	}
	cl.status.Store(int32(StatusConnected))
	early := len(cl.em.byChan)
	for ch := range cl.em.byChan {
		cl.subscription(wire.KindSubscribe, ch)
	}
	cl.em.mu.Unlock()
	if early > 0 {
		// Listeners added before Connect are live when it returns.
		return c.Flush(ctx)
	}
	return nil
}

// subscription tells the hub that a channel got its first listener or lost
// its last. It runs under the emitter's lock, so it must not block.
// While the client is reconnecting it sends nothing: the reconnect
// subscribes the channels that have listeners then.
func (cl *Client) subscription(kind wire.Kind, channel string) {
	if cl.Status() != StatusConnected {
		return
	}
	f, _ := wire.Append(nil, &wire.Frame{Kind: kind, Channel: channel, Peer: cl.peerID()})
	cl.conn.pushFrom(context.Background(), cl, wire.OutFrame{Head: f}, false)
}

// Close leaves the bus: pending requests of this client fail with ErrClosed
// and, for a client made by NewClient, the connection closes. Calls after
// the first return ErrClosed.
func (cl *Client) Close() error {
	cl.em.mu.Lock()
	prev := Status(cl.status.Swap(int32(StatusClosed)))
	cl.em.mu.Unlock()
	if prev == StatusClosed {
		return ErrClosed
	}
	c := cl.conn
	c.mu.Lock()
	var mine []*pending
	for id, p := range c.pending {
		if p.client == cl {
			mine = append(mine, p)
			delete(c.pending, id)
		}
	}
	id := cl.peerID()
	if prev == StatusConnected || prev == StatusReconnecting {
		if c.clients[id] == cl {
			delete(c.clients, id)
		}
		c.order = slices.DeleteFunc(slices.Clone(c.order), func(o *Client) bool { return o == cl })
	}
	c.mu.Unlock()
	for _, p := range mine {
		p.settle(result{err: ErrClosed})
	}
	if prev == StatusConnected && !cl.owns {
		f, _ := wire.Append(nil, &wire.Frame{Kind: wire.KindPeerRemove, Peer: id})
		c.pushFrom(context.Background(), cl, wire.OutFrame{Head: f}, false)
	}
	if cl.owns {
		if err := c.Close(); err != nil && err != ErrClosed {
			return err
		}
	}
	return nil
}

// connEnded is called when the connection ends under a connected client.
func (cl *Client) connEnded(cause error) {
	cl.em.mu.Lock()
	cl.status.Store(int32(StatusClosed))
	cl.em.mu.Unlock()
}

// SendRaw is SendTo with the arguments already encoded: args is one msgpack
// array. Bindings that encode values themselves (client.wasm) use it.
func (cl *Client) SendRaw(ctx context.Context, to Target, channel string, args []byte) error {
	f, err := cl.frame(wire.KindSend, to, channel, 0, nil, args)
	if err != nil {
		return fmt.Errorf("ipcbus: send on %q: %w", channel, err)
	}
	if err := cl.conn.pushFrom(ctx, cl, f, true); err != nil {
		return fmt.Errorf("ipcbus: send on %q: %w", channel, err)
	}
	return nil
}

// frame makes a send or request frame: a header of its own and the encoded
// args array (not copied), checking what the hub would refuse.
func (cl *Client) frame(kind wire.Kind, to Target, channel string, id uint64, ports []uint64, args []byte) (wire.OutFrame, error) {
	if !isArray(args) {
		return wire.OutFrame{}, fmt.Errorf("%w: the args are not one msgpack array", wire.ErrMalformed)
	}
	return cl.frameOf(kind, to, channel, id, ports, args, nil)
}

// frameOf makes a send or request frame of args followed by tail (the
// rest of the args array, in the caller's memory), checking what the hub
// would refuse but the args, which the caller checked.
func (cl *Client) frameOf(kind wire.Kind, to Target, channel string, id uint64, ports []uint64, args, tail []byte) (wire.OutFrame, error) {
	var f wire.OutFrame
	switch cl.Status() {
	case StatusConnected, StatusReconnecting: // buffered while reconnecting
	case StatusClosed:
		return f, ErrClosed
	default:
		return f, ErrNotConnected
	}
	if !wire.ValidChannel(channel) {
		return f, fmt.Errorf("invalid channel name (empty, not UTF-8 or over %d bytes)", wire.MaxChannelBytes)
	}
	head, err := wire.AppendHeader(make([]byte, 0, 32+len(channel)), &wire.Frame{Kind: kind, Channel: channel, Peer: cl.peerID(), To: to, ID: id, Ports: ports})
	if err != nil {
		return f, err
	}
	f = wire.OutFrame{Head: head, Body: args, Tail: tail}
	if max := cl.conn.MaxFrameBytes(); f.Len() > max {
		return f, fmt.Errorf("%w: %d bytes, the hub's limit is %d", ErrFrameTooLarge, f.Len(), max)
	}
	return f, nil
}

// On adds a listener for channel after the others (Node's on/addListener).
func (cl *Client) On(channel string, fn Listener) ListenerID {
	return cl.em.add(channel, fn, nil)
}

// AddListener adds a listener for channel; with no option it is On.
func (cl *Client) AddListener(channel string, fn Listener, opts ...ListenOption) ListenerID {
	return cl.em.add(channel, fn, opts)
}

// Once adds a listener removed before its first call.
func (cl *Client) Once(channel string, fn Listener) ListenerID {
	return cl.em.add(channel, fn, []ListenOption{Once()})
}

// PrependListener adds a listener before the others.
func (cl *Client) PrependListener(channel string, fn Listener) ListenerID {
	return cl.em.add(channel, fn, []ListenOption{Prepend()})
}

// PrependOnceListener adds a once listener before the others.
func (cl *Client) PrependOnceListener(channel string, fn Listener) ListenerID {
	return cl.em.add(channel, fn, []ListenOption{Prepend(), Once()})
}

// Off removes one registration; it reports whether it was there.
func (cl *Client) Off(channel string, id ListenerID) bool { return cl.em.remove(channel, id) }

// RemoveListener is Off.
func (cl *Client) RemoveListener(channel string, id ListenerID) bool {
	return cl.em.remove(channel, id)
}

// RemoveAllListeners removes every listener of the channels given, or of
// every channel when none is given.
func (cl *Client) RemoveAllListeners(channels ...string) {
	if len(channels) == 0 {
		cl.em.removeAll("", true)
	}
	for _, ch := range channels {
		cl.em.removeAll(ch, false)
	}
}

// ListenerCount returns how many listeners channel has.
func (cl *Client) ListenerCount(channel string) int { return cl.em.count(channel) }

// Listeners describes the registrations of channel, in calling order.
func (cl *Client) Listeners(channel string) []ListenerInfo { return cl.em.infos(channel) }

// EventNames returns the channels that have listeners.
func (cl *Client) EventNames() []string { return cl.em.channels() }

// emit runs on the dispatch goroutine: it calls the client's listeners of
// d's channel and reports whether there were any.
func (cl *Client) emit(d *delivery, settled *atomic.Bool, ports []*Port) bool {
	if st := cl.Status(); st != StatusConnected && st != StatusReconnecting {
		return false
	}
	list := cl.em.snapshot(d.channel)
	if len(list) == 0 {
		return false
	}
	ev := &Event{Channel: d.channel, Sender: d.sender, To: d.to, Ports: ports, args: d.args, mem: d.mem}
	if d.reqID != 0 {
		ev.Request = &Request{conn: cl.conn, id: d.reqID, channel: d.channel, responder: cl.peerID(), settled: settled, sess: d.sess}
	}
	for _, l := range list {
		cl.call(l, ev)
	}
	return true
}

func (cl *Client) call(l *listener, ev *Event) {
	defer func() {
		if v := recover(); v != nil {
			cl.conn.opts.OnError(&PanicError{Channel: ev.Channel, Value: v})
		}
	}()
	l.fn(ev)
}

// isArray reports whether b is exactly one msgpack array.
func isArray(b []byte) bool {
	if len(b) == 0 || (b[0]&0xf0 != 0x90 && b[0] != 0xdc && b[0] != 0xdd) {
		return false
	}
	n, err := wire.ValueLen(b)
	return err == nil && n == len(b)
}
