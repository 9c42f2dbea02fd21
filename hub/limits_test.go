package hub_test

import (
	"context"
	"encoding/binary"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/ipcbus/ipcbus/hub"
	"github.com/ipcbus/ipcbus/hub/hubtest"
	"github.com/ipcbus/ipcbus/shared/wire"
)

// preHelloAllocBound is what 32 connections announcing 16 MiB frames before
// hello may make the hub (and this test) allocate in all: far below the
// 512 MiB that full-size frames would take.
const preHelloAllocBound = 16 << 20

// TestPreHelloFramesAreSmall: connections that have not said hello and
// announce full-size frames are closed with a reason, without the hub
// allocating those frames, while a welcomed peer keeps being served.
func TestPreHelloFramesAreSmall(t *testing.T) {
	h := hubtest.Start(t, hub.Config{})
	good := hubtest.Dial(t, h, "good", nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	var rs []*raw
	for range 32 {
		r := dialRaw(t, h)
		var hdr [4]byte
		binary.BigEndian.PutUint32(hdr[:], wire.DefaultMaxFrameBytes)
		if _, err := r.nc.Write(append(hdr[:], make([]byte, 1024)...)); err != nil {
			t.Fatal(err)
		}
		rs = append(rs, r)
	}
	for _, r := range rs {
		if reason := r.expectClose(wire.CloseFrameTooLarge); !strings.Contains(reason, "limit") {
			t.Errorf("closed with reason %q", reason)
		}
	}
	runtime.ReadMemStats(&after)
	if n := after.TotalAlloc - before.TotalAlloc; n > preHelloAllocBound {
		t.Fatalf("32 pre-hello 16 MiB frames allocated %d MiB, bound %d MiB", n>>20, preHelloAllocBound>>20)
	} else {
		t.Logf("32 pre-hello 16 MiB frames: %.1f MiB allocated in all", float64(n)/(1<<20))
	}
	if _, err := good.Request(ctx, wire.ChannelQueryState); err != nil {
		t.Fatalf("the welcomed peer: %v", err)
	}
}

// TestPendingHelloLimit: past MaxPendingHello connections that have not
// said hello, new ones are closed with a reason; once one says hello
// there is room again.
func TestPendingHelloLimit(t *testing.T) {
	h := hubtest.Start(t, hub.Config{MaxPendingHello: 3})
	var waiting []*raw
	for range 3 {
		waiting = append(waiting, dialRaw(t, h))
	}
	hubtest.Eventually(t, 5*time.Second, "3 connections waiting for hello", func() bool { return h.PendingHello() == 3 })
	over := dialRaw(t, h)
	if reason := over.expectClose(wire.CloseLimit); !strings.Contains(reason, "waiting for hello") {
		t.Fatalf("reason %q", reason)
	}
	waiting[0].hello()
	next := dialRaw(t, h)
	next.hello()
}

// TestConnectionsPerListenerLimit: past MaxConnsPerListener connections,
// new ones on that listener are closed at once, and admitted again once
// one leaves; other listeners are not affected.
func TestConnectionsPerListenerLimit(t *testing.T) {
	h := hubtest.Start(t, hub.Config{UnixPath: t.TempDir() + "/hub.sock", TCPAddr: "127.0.0.1:0", MaxConnsPerListener: 2})
	a, b := dialRaw(t, h), dialRaw(t, h)
	a.hello()
	b.hello()
	over := dialRaw(t, h)
	if _, err := over.read(); err == nil {
		t.Fatal("a connection over the limit was served")
	}
	tcp := dialRawOn(t, h, "tcp")
	tcp.write(wire.Frame{Kind: wire.KindHello, Body: body(t, wire.Hello{Version: wire.Version, Token: h.Token()})})
	tcp.expect(wire.KindWelcome)
	a.nc.Close()
	hubtest.Eventually(t, 5*time.Second, "room on the Unix listener", func() bool {
		nc, err := net.Dial("unix", strings.TrimPrefix(h.Addr("unix"), "unix:"))
		if err != nil {
			return false
		}
		defer nc.Close()
		// Closed at once while the place is not given back yet: no
		// failing the test on a write to it.
		hello, _ := wire.Append(nil, &wire.Frame{Kind: wire.KindHello, Body: body(t, wire.Hello{Version: wire.Version})})
		if _, err := nc.Write(append(wire.AppendStreamHeader(nil, len(hello)), hello...)); err != nil {
			return false
		}
		r := &raw{t: t, nc: nc}
		f, err := r.read()
		return err == nil && f.Kind == wire.KindWelcome
	})
}

// TestPeerAndSubscriptionLimits: a connection gets no more peers than
// MaxPeersPerConn (peer.added says why) and a peer is closed past
// MaxSubscriptionsPerPeer.
func TestPeerAndSubscriptionLimits(t *testing.T) {
	h := hubtest.Start(t, hub.Config{MaxPeersPerConn: 1, MaxSubscriptionsPerPeer: 2})
	r := dialRaw(t, h)
	self := r.hello()
	r.write(wire.Frame{Kind: wire.KindPeerAdd, ID: 2, Body: body(t, wire.PeerInfo{Name: "second"})})
	if f := r.expect(wire.KindPeerAdded); f.Code == 0 {
		t.Fatal("a second peer was added past MaxPeersPerConn")
	}
	for _, ch := range []string{"a", "b", "c"} {
		r.write(wire.Frame{Kind: wire.KindSubscribe, Channel: ch, Peer: self})
	}
	if reason := r.expectClose(wire.CloseLimit); !strings.Contains(reason, "of one peer") {
		t.Fatalf("reason %q", reason)
	}
}
