package nativeclient

import (
	"context"
	"errors"
	"net"
	"time"

	"github.com/ipcbus/ipcbus/shared/bus"
	"github.com/ipcbus/ipcbus/shared/stream"
	"github.com/ipcbus/ipcbus/shared/wire"
)

// writeTimeout bounds each write to the hub; a hub that takes longer is
// considered gone.
const writeTimeout = 10 * time.Second

// Dialer returns a bus.Dialer for addr (see ParseAddr).
func Dialer(addr string) (bus.Dialer, error) {
	a, err := ParseAddr(addr)
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context) (bus.Transport, error) {
		if a.Network == "ws" {
			t, err := dialWS(ctx, a.Address)
			if errors.Is(err, ErrForbidden) {
				err = bus.Terminal(err) // a bad token stays bad: no reconnecting
			}
			return t, err
		}
		var d net.Dialer
		nc, err := d.DialContext(ctx, a.Network, a.Address)
		if err != nil {
			return nil, err
		}
		if tc, ok := nc.(*net.TCPConn); ok {
			tc.SetNoDelay(true)
		}
		// The engine raises the read limit to the hub's once welcomed.
		return stream.New(nc, wire.DefaultMaxFrameBytes+wire.FrameOverheadBytes, writeTimeout), nil
	}, nil
}

// New returns a client for the hub at addr that connects on Connect.
// Listeners may be added before. opts may be nil. Unless opts sets Redial
// or NoReconnect, the client reconnects to the same address (token
// included) when the hub goes away (see bus.Options).
func New(addr string, opts *bus.Options) (*bus.Client, error) {
	dial, err := Dialer(addr)
	if err != nil {
		return nil, err
	}
	var o bus.Options
	if opts != nil {
		o = *opts
	}
	if o.Redial == nil {
		o.Redial = dial
	}
	return bus.NewClient(dial, o), nil
}

// Dial returns a client connected to the hub at addr. A ctx without
// deadline gets Options.ConnectTimeout (2 s by default).
func Dial(ctx context.Context, addr string, opts *bus.Options) (*bus.Client, error) {
	c, err := New(addr, opts)
	if err != nil {
		return nil, err
	}
	if err := c.Connect(ctx); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}
