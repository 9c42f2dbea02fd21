package hub_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ipcbus/ipcbus/hub"
	"github.com/ipcbus/ipcbus/hub/hubtest"
	"github.com/ipcbus/ipcbus/nativeclient"
	"github.com/ipcbus/ipcbus/shared/bus"
	"github.com/ipcbus/ipcbus/shared/wire"
)

// TestBadInputClosesOnlyTheOffender sends each kind of bad input on a
// connection of its own and checks that the hub closes that connection with
// the right code while a well-behaved pair of peers keeps talking.
func TestBadInputClosesOnlyTheOffender(t *testing.T) {
	h := hubtest.Start(t, hub.Config{MaxFrameBytes: 64 << 10, HandshakeTimeout: 200 * time.Millisecond})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	good := hubtest.Dial(t, h, "good", nil)
	echo := hubtest.Dial(t, h, "echo", nil)
	echo.On("ping", func(e *bus.Event) { e.Request.Resolve("pong") })
	if err := echo.Conn().Flush(ctx); err != nil {
		t.Fatal(err)
	}
	other := dialRaw(t, h) // a peer of another connection, to impersonate
	otherPeer := other.hello()

	cases := []struct {
		name string
		code wire.CloseCode
		send func(r *raw, self uint64)
		bare bool // no handshake first
	}{
		{"malformed frame", wire.CloseProtocolError, func(r *raw, _ uint64) { r.writeBytes([]byte{0x93, 0x01}) }, false},
		{"not msgpack at all", wire.CloseProtocolError, func(r *raw, _ uint64) { r.writeBytes([]byte("GET / HTTP/1.1")) }, false},
		{"unknown kind", wire.CloseProtocolError, func(r *raw, _ uint64) {
			b, _ := wire.Append(nil, &wire.Frame{Kind: wire.KindSend, Channel: "c"})
			b[1] = 99
			r.writeBytes(b)
		}, false},
		{"hub-only kind from a client", wire.CloseProtocolError, func(r *raw, _ uint64) { r.write(wire.Frame{Kind: wire.KindWelcome}) }, false},
		{"frame over the limit", wire.CloseFrameTooLarge, func(r *raw, self uint64) {
			r.write(wire.Frame{Kind: wire.KindSend, Channel: "c", Peer: self, Body: body(t, []any{make([]byte, 64<<10)})})
		}, false},
		{"no hello in time", wire.CloseHandshakeTimeout, func(*raw, uint64) {}, true},
		{"first frame not hello", wire.CloseProtocolError, func(r *raw, _ uint64) { r.write(wire.Frame{Kind: wire.KindPing}) }, true},
		{"unsupported version", wire.CloseVersion, func(r *raw, _ uint64) {
			r.write(wire.Frame{Kind: wire.KindHello, Body: body(t, wire.Hello{Version: 99})})
		}, true},
		{"sender spoofing", wire.ClosePolicy, func(r *raw, _ uint64) {
			r.write(wire.Frame{Kind: wire.KindSend, Channel: "c", Peer: otherPeer, Body: body(t, []any{})})
		}, false},
		{"unknown sender", wire.ClosePolicy, func(r *raw, _ uint64) {
			r.write(wire.Frame{Kind: wire.KindSubscribe, Channel: "c", Peer: 424242})
		}, false},
		{"empty channel", wire.ClosePolicy, func(r *raw, self uint64) {
			r.write(wire.Frame{Kind: wire.KindSend, Peer: self, Body: body(t, []any{})})
		}, false},
		{"oversized channel", wire.ClosePolicy, func(r *raw, self uint64) {
			r.write(wire.Frame{Kind: wire.KindSubscribe, Channel: strings.Repeat("c", wire.MaxChannelBytes+1), Peer: self})
		}, false},
		{"args not an array", wire.CloseProtocolError, func(r *raw, self uint64) {
			r.write(wire.Frame{Kind: wire.KindSend, Channel: "c", Peer: self, Body: body(t, "not an array")})
		}, false},
		{"response to a request never made", wire.CloseProtocolError, func(r *raw, self uint64) {
			r.write(wire.Frame{Kind: wire.KindResponse, Peer: self, ID: 1 << 40, Body: body(t, "x")})
		}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := dialRaw(t, h)
			var self uint64
			if !tc.bare {
				self = r.hello()
			}
			tc.send(r, self)
			reason := r.expectClose(tc.code)
			if reason == "" {
				t.Error("closed without a reason")
			}
			// Everyone else is untouched.
			if _, err := good.Request(ctx, "ping"); err != nil {
				t.Fatalf("a good peer's request failed after %s: %v", tc.name, err)
			}
		})
	}
	// The impersonated connection is still alive too.
	other.write(wire.Frame{Kind: wire.KindPing, ID: 7})
	if f := other.expect(wire.KindPong); f.ID != 7 {
		t.Fatalf("pong %d", f.ID)
	}
}

// TestBadTokenIsRefused: on TCP, a hello without the token, or with
// another, is refused; the engine surfaces the reason as an error.
func TestBadTokenIsRefused(t *testing.T) {
	h := hubtest.Start(t, hub.Config{TCPAddr: "127.0.0.1:0", UnixPath: filepath.Join(t.TempDir(), "hub.sock"), Token: "secret"})
	for _, token := range []string{"guess", ""} {
		r := dialRawOn(t, h, "tcp")
		r.write(wire.Frame{Kind: wire.KindHello, Body: body(t, wire.Hello{Version: wire.Version, Token: token})})
		r.expectClose(wire.CloseUnauthorized)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := nativeclient.Dial(ctx, h.Addr("tcp"), &bus.Options{Token: "guess"})
	var ce *wire.CloseError
	if !errors.As(err, &ce) || ce.Code != wire.CloseUnauthorized {
		t.Fatalf("dial with a bad token: %v", err)
	}
	for _, addr := range []string{h.ConnectAddr("tcp"), h.Addr("tcp") + "?token=secret"} {
		c, err := nativeclient.Dial(ctx, addr, nil)
		if err != nil {
			t.Fatalf("dial %s: %v", addr, err)
		}
		c.Close()
	}
	t.Setenv(nativeclient.EnvToken, "secret")
	c, err := nativeclient.Dial(ctx, h.Addr("tcp"), nil)
	if err != nil {
		t.Fatalf("dial with $%s: %v", nativeclient.EnvToken, err)
	}
	c.Close()
	// On the Unix socket the user is the credential: no token needed.
	c, err = nativeclient.Dial(ctx, h.Addr("unix"), nil)
	if err != nil {
		t.Fatalf("unix without token: %v", err)
	}
	c.Close()
}
