package bus

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/ipcbus/ipcbus/shared/wire"
)

// Port is one end of a message port transferred over the bus, the engine's
// MessagePort. Make one with Client.NewPort and transfer it with
// PostMessage: the receiver gets the other end in Event.Ports. When the
// receiver is a peer of the same connection the two ends are joined in
// this process; otherwise the hub relays between the two connections. Either
// way messages arrive in order, and closing one end closes the other.
//
// Messages that arrive before OnMessage is set are kept (up to
// maxPortBacklog) and delivered once it is. Handlers run on the dispatch
// goroutine, like listeners.
type Port struct {
	conn *Conn

	mu       sync.Mutex
	id       uint64 // this connection's name for it; 0 until transferred
	state    portState
	link     *Port // the other end, when both are in this process
	origin   *Port // for an end delivered in this process: the end its sender passed
	onMsg    func(*PortMessage)
	onClose  func()
	backlog  []*PortMessage
	closeRan bool
}

type portState int

const (
	portNew     portState = iota // made by NewPort, not yet transferred
	portLinked                   // joined to an end in this process
	portRelayed                  // joined through the hub
	portClosed
)

// maxPortBacklog bounds the messages kept for a port without OnMessage.
const maxPortBacklog = 4096

// ErrPortNotTransferred is returned by Post on a port not yet transferred.
var ErrPortNotTransferred = errors.New("ipcbus: port not transferred yet")

// PortMessage is one message received on a port.
type PortMessage struct {
	Port *Port
	data []byte
}

// NewPort returns a port end to transfer with PostMessage.
func (cl *Client) NewPort() *Port { return &Port{conn: cl.conn} }

// ID returns the connection's id for the port (0 before it is transferred).
func (p *Port) ID() uint64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.id
}

// Relayed reports whether the hub relays this port to another connection.
func (p *Port) Relayed() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.state == portRelayed
}

// Origin returns, for a port received from a peer of the same connection,
// the end that peer transferred; nil otherwise. Bindings use it to hand
// over their real port object instead of relaying.
func (p *Port) Origin() *Port {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.origin
}

// OnMessage sets the handler of the port's messages; messages kept until
// now are delivered to it, in order, on the dispatch goroutine.
func (p *Port) OnMessage(fn func(*PortMessage)) {
	p.mu.Lock()
	p.onMsg = fn
	pending := len(p.backlog) > 0
	p.mu.Unlock()
	if pending {
		p.conn.dispatch(delivery{kind: deliverPortFlush, port: p})
	}
}

// OnClose sets the handler called once when the port closes, by either end.
func (p *Port) OnClose(fn func()) {
	p.mu.Lock()
	p.onClose = fn
	closed := p.state == portClosed
	p.mu.Unlock()
	if closed {
		p.conn.dispatch(delivery{kind: deliverPortClosed, port: p})
	}
}

// PostRaw is Post with the message already encoded: one msgpack value.
func (p *Port) PostRaw(ctx context.Context, body []byte) error {
	if n, err := wire.ValueLen(body); err != nil || n != len(body) {
		return fmt.Errorf("ipcbus: port post: %w: not one msgpack value", wire.ErrMalformed)
	}
	p.mu.Lock()
	state, id, link := p.state, p.id, p.link
	p.mu.Unlock()
	switch state {
	case portNew:
		return ErrPortNotTransferred
	case portClosed:
		return fmt.Errorf("ipcbus: port post: %w", ErrClosed)
	case portLinked:
		if !p.conn.dispatch(delivery{kind: deliverPortMessage, port: link, args: body}) {
			return fmt.Errorf("ipcbus: port post: %w", ErrSlowConsumer)
		}
		return nil
	}
	b, _ := wire.AppendHeader(make([]byte, 0, 16+len(body)), &wire.Frame{Kind: wire.KindPortMessage, ID: id})
	b = append(b, body...)
	if len(b) > p.conn.MaxFrameBytes() {
		return fmt.Errorf("ipcbus: port post: %w", ErrFrameTooLarge)
	}
	if err := p.conn.push(ctx, b, true); err != nil {
		return fmt.Errorf("ipcbus: port post: %w", err)
	}
	return nil
}

// Close closes the port; the other end is told. Idempotent.
func (p *Port) Close() error {
	p.mu.Lock()
	state, id, link := p.state, p.id, p.link
	if state == portClosed {
		p.mu.Unlock()
		return nil
	}
	p.state = portClosed
	p.mu.Unlock()
	switch state {
	case portLinked:
		link.closed()
	case portRelayed:
		p.conn.forgetPort(id)
		f, _ := wire.Append(nil, &wire.Frame{Kind: wire.KindPortClose, ID: id})
		p.conn.push(context.Background(), f, false)
	}
	p.closed()
	return nil
}

// closed marks p closed and schedules its close handler.
func (p *Port) closed() {
	p.mu.Lock()
	p.state = portClosed
	p.mu.Unlock()
	p.conn.dispatch(delivery{kind: deliverPortClosed, port: p})
}

// receive runs on the dispatch goroutine with one message for p.
func (p *Port) receive(data []byte) {
	m := &PortMessage{Port: p, data: data}
	p.mu.Lock()
	fn := p.onMsg
	if fn == nil || len(p.backlog) > 0 {
		if len(p.backlog) >= maxPortBacklog {
			p.mu.Unlock()
			p.conn.opts.OnError(fmt.Errorf("%w: port %d has %d messages waiting for OnMessage", ErrSlowConsumer, p.ID(), maxPortBacklog))
			return
		}
		p.backlog = append(p.backlog, m)
		p.mu.Unlock()
		if fn != nil {
			p.flush()
		}
		return
	}
	p.mu.Unlock()
	p.call(func() { fn(m) })
}

// flush runs on the dispatch goroutine: it delivers the backlog.
func (p *Port) flush() {
	for {
		p.mu.Lock()
		fn := p.onMsg
		if fn == nil || len(p.backlog) == 0 {
			p.mu.Unlock()
			return
		}
		m := p.backlog[0]
		p.backlog = p.backlog[1:]
		p.mu.Unlock()
		p.call(func() { fn(m) })
	}
}

// runClose runs on the dispatch goroutine: the close handler, once.
func (p *Port) runClose() {
	p.flush()
	p.mu.Lock()
	fn := p.onClose
	if fn == nil || p.closeRan {
		p.mu.Unlock()
		return
	}
	p.closeRan = true
	p.mu.Unlock()
	p.call(fn)
}

func (p *Port) call(fn func()) {
	defer func() {
		if v := recover(); v != nil {
			p.conn.opts.OnError(&PanicError{Channel: fmt.Sprintf("port %d", p.ID()), Value: v})
		}
	}()
	fn()
}

// PostMessageRaw is PostMessageTo with the message already encoded: one
// msgpack value.
func (cl *Client) PostMessageRaw(ctx context.Context, to Target, channel string, msg []byte, ports ...*Port) error {
	c := cl.conn
	ids := make([]uint64, len(ports))
	for i, p := range ports {
		if p.conn != c {
			return fmt.Errorf("ipcbus: postMessage on %q: port %d belongs to another connection", channel, i)
		}
		p.mu.Lock()
		fresh := p.state == portNew
		if fresh {
			p.id = c.newID()
			ids[i] = p.id
		}
		p.mu.Unlock()
		if !fresh {
			return fmt.Errorf("ipcbus: postMessage on %q: port %d was transferred or closed already", channel, i)
		}
	}
	if n, err := wire.ValueLen(msg); err != nil || n != len(msg) {
		return fmt.Errorf("ipcbus: postMessage on %q: %w: not one msgpack value", channel, wire.ErrMalformed)
	}
	f, err := cl.frame(wire.KindSend, to, channel, 0, ids, append([]byte{0x91}, msg...))
	if err != nil {
		return fmt.Errorf("ipcbus: postMessage on %q: %w", channel, err)
	}
	// The hub gives the ports to this connection when one of its peers
	// listens, judging by the same ordered stream of subscriptions.
	local := c.listensLocally(channel, to)
	for _, p := range ports {
		if local {
			q := &Port{conn: c, id: p.id, state: portLinked, link: p, origin: p}
			p.mu.Lock()
			p.state, p.link = portLinked, q
			p.mu.Unlock()
			c.mu.Lock()
			c.transfers[p.id] = q
			c.mu.Unlock()
		} else {
			p.mu.Lock()
			p.state = portRelayed
			p.mu.Unlock()
			c.mu.Lock()
			c.ports[p.id] = p
			c.mu.Unlock()
		}
	}
	if err := c.pushFrom(ctx, cl, f, true); err != nil {
		for _, p := range ports {
			p.Close()
		}
		return fmt.Errorf("ipcbus: postMessage on %q: %w", channel, err)
	}
	return nil
}

// listensLocally reports whether a peer of c would receive a send on
// channel to target.
func (c *Conn) listensLocally(channel string, to Target) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for id, cl := range c.clients {
		switch {
		case to.Peer != 0 && id != to.Peer:
			continue
		case to.Peer == 0 && to.Process != nil && !cl.info.Process.Matches(*to.Process):
			continue
		}
		if cl.ListenerCount(channel) > 0 {
			return true
		}
	}
	return false
}

// eventPorts returns the port ends a delivered message carries.
func (c *Conn) eventPorts(ids []uint64) []*Port {
	out := make([]*Port, 0, len(ids))
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, id := range ids {
		if id&wire.PortRelayBit != 0 {
			p := &Port{conn: c, id: id, state: portRelayed}
			c.ports[id] = p
			out = append(out, p)
			continue
		}
		if q := c.transfers[id]; q != nil {
			delete(c.transfers, id)
			out = append(out, q)
		}
	}
	return out
}

func (c *Conn) forgetPort(id uint64) {
	c.mu.Lock()
	delete(c.ports, id)
	c.mu.Unlock()
}

// portEvent runs on the dispatch goroutine for a relayed port's message or close.
func (c *Conn) portEvent(d *delivery) {
	c.mu.Lock()
	p := c.ports[d.portID]
	if d.kind == deliverPortClosed {
		delete(c.ports, d.portID)
	}
	c.mu.Unlock()
	if p == nil {
		return
	}
	if d.kind == deliverPortClosed {
		p.mu.Lock()
		p.state = portClosed
		p.mu.Unlock()
		p.runClose()
		return
	}
	p.receive(d.args)
}
