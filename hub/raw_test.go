package hub_test

import (
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/ipcbus/ipcbus/hub"
	"github.com/ipcbus/ipcbus/shared/wire"
	"github.com/vmihailenco/msgpack/v5"
)

// raw is a client that speaks the protocol by hand, to send what the
// engine never would.
type raw struct {
	t  *testing.T
	nc net.Conn
}

// dialRaw connects to h's Unix socket.
func dialRaw(t *testing.T, h *hub.Hub) *raw {
	t.Helper()
	return dialRawOn(t, h, "unix")
}

// dialRawOn connects to h's listener kind ("unix" or "tcp").
func dialRawOn(t *testing.T, h *hub.Hub, kind string) *raw {
	t.Helper()
	addr := strings.TrimPrefix(h.Addr(kind), kind+":")
	nc, err := net.Dial(kind, addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	return &raw{t: t, nc: nc}
}

func body(t *testing.T, v any) []byte {
	t.Helper()
	b, err := msgpack.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// writeBytes writes one length-prefixed frame with the given body bytes.
func (r *raw) writeBytes(b []byte) {
	r.t.Helper()
	if _, err := r.nc.Write(append(wire.AppendStreamHeader(nil, len(b)), b...)); err != nil {
		r.t.Fatal(err)
	}
}

func (r *raw) write(f wire.Frame) {
	r.t.Helper()
	b, err := wire.Append(nil, &f)
	if err != nil {
		r.t.Fatal(err)
	}
	r.writeBytes(b)
}

// read returns the next frame, failing the test after 5 s.
func (r *raw) read() (wire.Frame, error) {
	r.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	b, err := wire.ReadStreamFrame(r.nc, nil, 64<<20)
	if err != nil {
		return wire.Frame{}, err
	}
	return wire.Decode(b)
}

func (r *raw) expect(kind wire.Kind) wire.Frame {
	r.t.Helper()
	f, err := r.read()
	if err != nil {
		r.t.Fatalf("want %v: %v", kind, err)
	}
	if f.Kind != kind {
		r.t.Fatalf("want %v, got %v", kind, f.Kind)
	}
	return f
}

// hello does the handshake and adds one peer, returning its id.
func (r *raw) hello() uint64 {
	r.t.Helper()
	r.write(wire.Frame{Kind: wire.KindHello, Body: body(r.t, wire.Hello{Version: wire.Version, Process: wire.Process{Type: "node", PID: 1}})})
	r.expect(wire.KindWelcome)
	r.write(wire.Frame{Kind: wire.KindPeerAdd, ID: 1, Body: body(r.t, wire.PeerInfo{Name: "raw"})})
	return r.expect(wire.KindPeerAdded).Peer
}

// expectClose reads until the hub's close frame and checks its code, then
// checks that the hub closed the socket.
func (r *raw) expectClose(code wire.CloseCode) string {
	r.t.Helper()
	for {
		f, err := r.read()
		if err != nil {
			r.t.Fatalf("want close %v, got %v", code, err)
		}
		if f.Kind != wire.KindClose {
			continue
		}
		var reason string
		msgpack.Unmarshal(f.Body, &reason)
		if wire.CloseCode(f.Code) != code {
			r.t.Fatalf("closed with %v (%s), want %v", wire.CloseCode(f.Code), reason, code)
		}
		if _, err := r.read(); !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) && !isReset(err) {
			r.t.Fatalf("socket still open after close: %v", err)
		}
		return reason
	}
}

func isReset(err error) bool {
	return err != nil && strings.Contains(err.Error(), "connection reset")
}
