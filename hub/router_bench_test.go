package hub

import (
	"fmt"
	"io"
	"log/slog"
	"testing"

	"github.com/ipcbus/ipcbus/shared/wire"
)

// nullTransport drops what it is given: fan-out benchmarks measure routing
// and queueing, not sockets.
type nullTransport struct{}

func (nullTransport) ReadFrame() ([]byte, error)        { return nil, io.EOF }
func (nullTransport) WriteFrames([]wire.OutFrame) error { return nil }
func (nullTransport) Close() error                      { return nil }
func (nullTransport) SetMaxFrame(int)                   {}

func benchHub(b *testing.B) *Hub {
	h, err := New(Config{TCPAddr: ":0", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	return h
}

func benchConn(h *Hub) *conn {
	return &conn{h: h, id: h.nextConn.Add(1), t: nullTransport{}, peers: map[uint64]*peer{}, asked: map[uint64]uint64{}, writing: true} // writing: no writer is started
}

func benchPeer(h *Hub, c *conn) *peer {
	p := &peer{c: c, subs: map[string]struct{}{}}
	p.info = wire.Peer{ID: h.nextPeer.Add(1), Name: "p"}
	p.raw, _ = encode(p.info)
	h.router.addPeer(p)
	return p
}

// BenchmarkRouterMatch looks up the subscribers of one channel among 10,000.
func BenchmarkRouterMatch(b *testing.B) {
	h := benchHub(b)
	for i := 0; i < 100; i++ {
		c := benchConn(h)
		p := benchPeer(h, c)
		for j := 0; j < 100; j++ {
			h.router.subscribe(p, fmt.Sprintf("channel/%d/%d", i, j), 1<<20, 1<<20)
		}
	}
	var buf [8]delivery
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		h.router.mu.RLock()
		ds := h.router.match("channel/42/7", wire.Target{}, 1024, buf[:0], nil)
		h.router.mu.RUnlock()
		if len(ds) != 1 {
			b.Fatal(len(ds))
		}
	}
}

// BenchmarkFanOut routes a 1 KiB send to 1 and to 4 subscribed
// connections, encoding once and queueing on each (the writers drain).
func BenchmarkFanOut(b *testing.B) {
	for _, n := range []int{1, 4} {
		b.Run(fmt.Sprintf("subscribers=%d", n), func(b *testing.B) {
			h := benchHub(b)
			h.cfg.MaxPendingBytes = 1 << 40
			var conns []*conn
			for i := 0; i < n; i++ {
				c := benchConn(h)
				h.router.subscribe(benchPeer(h, c), "fan", 1<<20, 1<<20)
				conns = append(conns, c)
			}
			src := benchConn(h)
			sender := benchPeer(h, src)
			body, _ := encode([]any{make([]byte, 1024)})
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				var buf [8]delivery
				h.router.mu.RLock()
				ds := h.router.match("fan", wire.Target{}, 1024, buf[:0], nil)
				h.router.mu.RUnlock()
				h.deliver(ds, "fan", 0, sender.raw, body, nil)
				if i%256 == 255 {
					for _, c := range conns {
						c.omu.Lock()
						c.queue, c.pending = c.queue[:0], 0
						c.omu.Unlock()
					}
				}
			}
		})
	}
}

// BenchmarkSendPath handles a 1 KiB send frame from a peer, as the reader
// does, to 4 subscribed connections: checks, match, tap check, delivery.
func BenchmarkSendPath(b *testing.B) {
	h := benchHub(b)
	h.cfg.MaxPendingBytes = 1 << 40
	var conns []*conn
	for i := 0; i < 4; i++ {
		c := benchConn(h)
		h.router.subscribe(benchPeer(h, c), "fan", 1<<20, 1<<20)
		conns = append(conns, c)
	}
	src := benchConn(h)
	sender := benchPeer(h, src)
	body, _ := encode([]any{make([]byte, 1024)})
	f := wire.Frame{Kind: wire.KindSend, Channel: "fan", Peer: sender.info.ID, Body: body}
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := src.handle(&f); err != nil {
			b.Fatal(err)
		}
		if i%256 == 255 {
			for _, c := range conns {
				c.omu.Lock()
				c.queue, c.pending = c.queue[:0], 0
				c.omu.Unlock()
			}
		}
	}
}
