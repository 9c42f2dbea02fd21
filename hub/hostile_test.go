package hub_test

import (
	"bytes"
	"context"
	"errors"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ipcbus/ipcbus/hub"
	"github.com/ipcbus/ipcbus/hub/hubtest"
	"github.com/ipcbus/ipcbus/shared/bus"
	"github.com/ipcbus/ipcbus/shared/wire"
	"github.com/vmihailenco/msgpack/v5"
)

// Hostile payloads (issue 10, item 1 and 2): values nested millions deep,
// or millions of empty containers wide, used to end the hub with "fatal
// error: stack overflow" (msgpack decoding without a depth limit) and to
// make Go listeners crash or allocate 40-64 times their size.

// nestedArgs is an args array holding arrays nested to n bytes in all.
func nestedArgs(n int) []byte { return append(bytes.Repeat([]byte{0x91}, n-1), 0xc0) }

// wideArgs is an args array of one array holding n copies of elem.
func wideArgs(n int, elem []byte) []byte {
	b := wire.AppendArrayLen([]byte{0x91}, n)
	for range n {
		b = append(b, elem...)
	}
	return b
}

// writeFrame writes an encoded frame without copying it.
func (r *raw) writeFrame(b []byte) {
	r.t.Helper()
	bufs := net.Buffers{wire.AppendStreamHeader(nil, len(b)), b}
	if _, err := bufs.WriteTo(r.nc); err != nil {
		r.t.Fatal(err)
	}
}

func encodeFrame(t *testing.T, f wire.Frame) []byte {
	t.Helper()
	b, err := wire.Append(nil, &f)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// allocBound is what each case may allocate in the whole process (hub,
// offender, listener and test): the hub and the listener each read the
// frame once; nothing decodes it.
const allocBound = 64 << 20

func TestHostilePayloads(t *testing.T) {
	h := hubtest.Start(t, hub.Config{})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	good := hubtest.Dial(t, h, "good", nil)
	echo := hubtest.Dial(t, h, "echo", nil)
	echo.On("ping", func(e *bus.Event) { e.Request.Resolve("pong") })
	// The listener decodes what it gets on the service's event channel and
	// on "data", as a careless Go listener would, and reports the errors.
	listener := hubtest.Dial(t, h, "listener", nil)
	type decoded struct {
		size              int
		valuesErr, argErr error
	}
	got := make(chan decoded, 4)
	onData := func(e *bus.Event) {
		_, verr := e.Values()
		var v any
		aerr := e.Args(&v)
		got <- decoded{len(e.RawArgs()), verr, aerr}
	}
	listener.On(wire.ServiceEventChannel("svc"), onData)
	listener.On("data", onData)
	for _, c := range []*bus.Client{echo, listener} {
		if err := c.Conn().Flush(ctx); err != nil {
			t.Fatal(err)
		}
	}

	start := func(pad []byte) []byte { // a start event carrying pad beside its status
		b := []byte{0x91, 0x83}
		b = wire.AppendStr(wire.AppendStr(b, "eventName"), wire.ServiceEventStart)
		b = append(wire.AppendStr(b, "args"), body(t, []any{wire.ServiceStatus{Started: true, CallHandlers: []string{"add"}}})...)
		return append(wire.AppendStr(b, "pad"), pad...)
	}
	emptyMaps := wideArgs(4<<20, []byte{0x80})
	cases := []struct {
		name    string
		channel string
		request bool
		args    []byte
		check   func(t *testing.T, r *raw)
	}{
		{"serviceAvailable nested 4MB", wire.ChannelServiceAvailable, true, nestedArgs(4 << 20), expectRefused},
		{"serviceAvailable wide 4MB", wire.ChannelServiceAvailable, true, emptyMaps, expectRefused},
		{"queryState wide 4MB", wire.ChannelQueryState, true, emptyMaps, func(t *testing.T, r *raw) {
			f := r.expect(wire.KindResponse)
			var st hub.State
			if wire.Status(f.Code) != wire.StatusResolved || msgpack.Unmarshal(f.Body, &st) != nil || len(st.Connections) == 0 {
				t.Fatalf("queryState answered %v", wire.Status(f.Code))
			}
		}},
		{"service event nested 15MB", wire.ServiceEventChannel("svc"), false, nestedArgs(15 << 20), nil},
		{"service start event 15MB", wire.ServiceEventChannel("svc"), false, start(nestedArgs(15 << 20)[1:]), nil},
		{"service start event 4MB", wire.ServiceEventChannel("svc"), false, start(emptyMaps[1:]), nil},
		{"listener 4MiB of empty maps", "data", false, emptyMaps, nil},
		{"listener nested 4MB", "data", false, nestedArgs(4 << 20), nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := dialRaw(t, h)
			self := r.hello()
			// The offender listens on the service's call channel, as a
			// service does before it announces its start.
			r.write(wire.Frame{Kind: wire.KindSubscribe, Peer: self, Channel: wire.ServiceCallChannel("svc")})
			kind := wire.KindSend
			if tc.request {
				kind = wire.KindRequest
			}
			frame := encodeFrame(t, wire.Frame{Kind: kind, Peer: self, Channel: tc.channel, ID: 1, Body: tc.args})

			// Another client is served throughout (up to pingCap requests:
			// what they allocate counts in the bound too).
			const pingCap = 1000
			var served, failed atomic.Int64
			stop := make(chan struct{})
			var wg sync.WaitGroup
			wg.Go(func() {
				for {
					select {
					case <-stop:
						return
					default:
					}
					if _, err := good.Request(ctx, "ping"); err != nil {
						failed.Add(1)
						t.Errorf("a good client's request failed: %v", err)
						return
					}
					if served.Add(1) == pingCap {
						<-stop
						return
					}
				}
			})

			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			r.writeFrame(frame)
			if tc.check != nil {
				tc.check(t, r)
			} else {
				select {
				case d := <-got:
					if d.size != len(tc.args) {
						t.Fatalf("listener got %d bytes of args, want %d", d.size, len(tc.args))
					}
					// Refused with an error the listener can test, not a crash.
					for _, err := range []error{d.valuesErr, d.argErr} {
						if !errors.Is(err, bus.ErrMalformed) || !(errors.Is(err, bus.ErrTooDeep) || errors.Is(err, bus.ErrTooComplex)) {
							t.Fatalf("listener decoded it: %v", err)
						}
					}
					t.Logf("listener: %v", d.valuesErr)
				case <-ctx.Done():
					t.Fatal("the listener got nothing")
				}
			}
			runtime.ReadMemStats(&after)
			// The offender's connection is still served too.
			r.write(wire.Frame{Kind: wire.KindPing, ID: 9})
			for f := r.expect(wire.KindPong); f.ID != 9; f = r.expect(wire.KindPong) {
			}
			close(stop)
			wg.Wait()
			if _, err := good.Request(ctx, "ping"); err != nil {
				t.Fatalf("a good client's request failed after: %v", err)
			}
			if served.Load() == 0 || failed.Load() != 0 {
				t.Fatalf("good client: %d served, %d failed", served.Load(), failed.Load())
			}
			if h.IsServiceAvailable("svc") {
				t.Fatal("a start event over MaxHubArgsBytes was parsed")
			}
			alloc := after.TotalAlloc - before.TotalAlloc
			t.Logf("%d bytes of args: process allocated %.1f MiB (bound %d MiB); %d requests of another client served meanwhile",
				len(tc.args), float64(alloc)/(1<<20), allocBound>>20, served.Load())
			if alloc > allocBound {
				t.Fatalf("allocated %d bytes, over %d", alloc, allocBound)
			}
		})
	}
}

func expectRefused(t *testing.T, r *raw) {
	t.Helper()
	f := r.expect(wire.KindResponse)
	reason, _ := wire.DecodeString(f.Body)
	if wire.Status(f.Code) != wire.StatusRefused || reason == "" {
		t.Fatalf("answered %v (%q), want refused with a reason", wire.Status(f.Code), reason)
	}
	t.Logf("refused: %s", reason)
}

// TestSmallServiceEventsAreStillRead: under MaxHubArgsBytes the hub reads a
// start event by hand as before, with other keys skipped however deep.
func TestSmallServiceEventsAreStillRead(t *testing.T) {
	h := hubtest.Start(t, hub.Config{})
	r := dialRaw(t, h)
	self := r.hello()
	r.write(wire.Frame{Kind: wire.KindSubscribe, Peer: self, Channel: wire.ServiceCallChannel("svc")})
	b := []byte{0x91, 0x83}
	b = append(wire.AppendStr(b, "pad"), nestedArgs(20000)...) // deeper than MaxDepth, skipped
	b = wire.AppendStr(wire.AppendStr(b, "eventName"), wire.ServiceEventStart)
	b = append(wire.AppendStr(b, "args"), body(t, []any{wire.ServiceStatus{Started: true, CallHandlers: []string{"add"}}})...)
	r.write(wire.Frame{Kind: wire.KindSend, Peer: self, Channel: wire.ServiceEventChannel("svc"), Body: b})
	r.write(wire.Frame{Kind: wire.KindPing, ID: 1})
	r.expect(wire.KindPong)
	svcs := h.Services()
	if len(svcs) != 1 || svcs[0].Name != "svc" || len(svcs[0].CallHandlers) != 1 || svcs[0].CallHandlers[0] != "add" {
		t.Fatalf("services: %+v", svcs)
	}
	r.write(wire.Frame{Kind: wire.KindRequest, Peer: self, Channel: wire.ChannelServiceAvailable, ID: 2, Body: body(t, []any{"svc"})})
	if f := r.expect(wire.KindResponse); !bytes.Equal(f.Body, []byte{0xc3}) {
		t.Fatalf("serviceAvailable answered %x", f.Body)
	}
}
