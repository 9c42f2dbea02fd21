package link

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"

	"github.com/ipcbus/ipcbus/bench/internal/raw"
)

// RawRelay returns a dialer of raw links through the relay at network,
// addr, announcing id (ids above raw.MaxRoutedID only send).
func RawRelay(network, addr string, id int) Dialer {
	return func(ctx context.Context) (Link, error) {
		l := newRaw(id)
		c, err := l.dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		l.relay = c
		return l, nil
	}
}

// RawDirect returns a raw link that accepts peers on ln and dials the
// workers it sends to directly (one hop), once SetPeers gave their
// addresses.
func RawDirect(network string, ln net.Listener, id int) *RawLink {
	l := newRaw(id)
	l.network = network
	go l.accept(ln)
	return l
}

// RawDial returns a dialer of raw connections to one peer's listener, for
// connect-time and idle measurements; they announce id and only send.
func RawDial(network, addr string, id int) Dialer { return RawRelay(network, addr, id) }

// RawLink is a raw-frames link; see package raw.
type RawLink struct {
	id      int
	relay   *raw.Conn // relay mode
	network string    // direct mode
	ln      net.Listener

	mu    sync.Mutex
	addrs []string
	peers map[int]*raw.Conn
	all   map[*raw.Conn]bool

	hmu      sync.RWMutex
	handlers map[string]func(Msg)

	pmu     sync.Mutex
	pending map[uint64]chan []byte
	nextID  uint64
}

func newRaw(id int) *RawLink {
	return &RawLink{
		id:       id,
		peers:    make(map[int]*raw.Conn),
		all:      make(map[*raw.Conn]bool),
		handlers: make(map[string]func(Msg)),
		pending:  make(map[uint64]chan []byte),
	}
}

// SetPeers gives the listening address of each worker, by id.
func (l *RawLink) SetPeers(addrs []string) {
	l.mu.Lock()
	l.addrs = addrs
	l.mu.Unlock()
}

func (l *RawLink) dial(ctx context.Context, network, addr string) (*raw.Conn, error) {
	var d net.Dialer
	nc, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	c := raw.NewConn(nc)
	if err := c.WriteID(l.id); err != nil {
		c.Close()
		return nil, err
	}
	l.mu.Lock()
	l.all[c] = true
	l.mu.Unlock()
	go l.read(c)
	return c, nil
}

func (l *RawLink) accept(ln net.Listener) {
	l.ln = ln
	for {
		nc, err := ln.Accept()
		if err != nil {
			return
		}
		c := raw.NewConn(nc)
		go func() {
			id, err := c.ReadID()
			if err != nil {
				c.Close()
				return
			}
			l.mu.Lock()
			if id <= raw.MaxRoutedID && l.peers[id] == nil {
				l.peers[id] = c
			}
			l.all[c] = true
			l.mu.Unlock()
			l.read(c)
		}()
	}
}

// to returns the connection frames for worker id go on.
func (l *RawLink) to(id int) (*raw.Conn, error) {
	if l.relay != nil {
		return l.relay, nil
	}
	l.mu.Lock()
	c := l.peers[id]
	var addr string
	if id >= 0 && id < len(l.addrs) {
		addr = l.addrs[id]
	}
	l.mu.Unlock()
	if c != nil {
		return c, nil
	}
	if addr == "" {
		return nil, fmt.Errorf("raw: no address for worker %d", id)
	}
	c, err := l.dial(context.Background(), l.network, addr)
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	if p := l.peers[id]; p != nil { // it dialled us meanwhile: use either
		l.mu.Unlock()
		return p, nil
	}
	l.peers[id] = c
	l.mu.Unlock()
	return c, nil
}

func (l *RawLink) read(c *raw.Conn) {
	defer func() {
		l.mu.Lock()
		delete(l.all, c)
		for id, p := range l.peers {
			if p == c {
				delete(l.peers, id)
			}
		}
		l.mu.Unlock()
		c.Close()
	}()
	for {
		body, err := c.ReadFrame()
		if err != nil {
			return
		}
		h, p, err := raw.Parse(body)
		if err != nil {
			return
		}
		switch h.Kind {
		case raw.KindMsg, raw.KindReq:
			l.hmu.RLock()
			fn := l.handlers[h.Channel]
			l.hmu.RUnlock()
			if fn == nil {
				continue
			}
			m := Msg{Data: p}
			if h.Kind == raw.KindReq {
				src, id, ch := int(h.Src), h.ID, h.Channel
				m.Respond = func(p []byte) error {
					head := raw.AppendHeader(nil, &raw.Header{Mask: raw.MaskOf(src), Src: uint8(l.id), Kind: raw.KindAnswer, Channel: ch, ID: id})
					// Direct: answer on the connection the request came on.
					if l.relay == nil {
						return c.WriteFrameFlush(head, p)
					}
					return l.relay.WriteFrameFlush(head, p)
				}
			}
			fn(m)
		case raw.KindAnswer:
			l.pmu.Lock()
			ch := l.pending[h.ID]
			delete(l.pending, h.ID)
			l.pmu.Unlock()
			if ch != nil {
				ch <- append([]byte(nil), p...)
			}
		}
	}
}

func (l *RawLink) Listen(ch string, fn func(Msg)) (func(), error) {
	if len(ch) > 255 {
		return nil, errors.New("raw: channel name too long")
	}
	l.hmu.Lock()
	l.handlers[ch] = fn
	l.hmu.Unlock()
	return func() {
		l.hmu.Lock()
		delete(l.handlers, ch)
		l.hmu.Unlock()
	}, nil
}

func (l *RawLink) Publish(ch string, dst []int, p []byte) error {
	head := raw.AppendHeader(make([]byte, 0, 8+len(ch)), &raw.Header{Mask: raw.MaskOf(dst...), Src: uint8(l.id), Kind: raw.KindMsg, Channel: ch})
	if l.relay != nil {
		return l.relay.WriteFrame(head, p)
	}
	for _, d := range dst {
		c, err := l.to(d)
		if err != nil {
			return err
		}
		if err := c.WriteFrame(head, p); err != nil {
			return err
		}
	}
	return nil
}

func (l *RawLink) Flush() error {
	if l.relay != nil {
		return l.relay.Flush()
	}
	l.mu.Lock()
	conns := make([]*raw.Conn, 0, len(l.peers))
	for _, c := range l.peers {
		conns = append(conns, c)
	}
	l.mu.Unlock()
	var first error
	for _, c := range conns {
		if err := c.Flush(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

func (l *RawLink) Request(ctx context.Context, ch string, dst int, p []byte) ([]byte, error) {
	c, err := l.to(dst)
	if err != nil {
		return nil, err
	}
	l.pmu.Lock()
	l.nextID++
	id := l.nextID
	reply := make(chan []byte, 1)
	l.pending[id] = reply
	l.pmu.Unlock()
	head := raw.AppendHeader(make([]byte, 0, 16+len(ch)), &raw.Header{Mask: raw.MaskOf(dst), Src: uint8(l.id), Kind: raw.KindReq, Channel: ch, ID: id})
	if err := c.WriteFrameFlush(head, p); err != nil {
		return nil, err
	}
	select {
	case b := <-reply:
		return b, nil
	case <-ctx.Done():
		l.pmu.Lock()
		delete(l.pending, id)
		l.pmu.Unlock()
		return nil, ctx.Err()
	}
}

// Sync does nothing: a raw endpoint listens locally.
func (l *RawLink) Sync(context.Context) error { return nil }

func (l *RawLink) Dropped() uint64 { return 0 }

func (l *RawLink) Close() error {
	if l.ln != nil {
		l.ln.Close()
	}
	l.mu.Lock()
	for c := range l.all {
		c.Close()
	}
	l.mu.Unlock()
	return nil
}
