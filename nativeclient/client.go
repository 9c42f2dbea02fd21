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

// readPool holds the memory of the large frames (over 64 KiB) that this
// process's clients read, for reuse: a message's memory goes back to it
// once its listeners have returned (see bus.Event.Keep). It trims itself
// after a while without large frames.
var readPool = func() *stream.Pool {
	p := stream.NewPool(readPoolBytes)
	p.TrimEvery(30 * time.Second)
	return p
}()

// readPoolBytes bounds the free buffers of readPool: room for some twenty
// 1 MiB messages in flight.
const readPoolBytes = 32 << 20

// Dialer returns a bus.Dialer for addr (see ParseAddr). A WebSocket URL
// without a token gets the one New finds (see New).
func Dialer(addr string) (bus.Dialer, error) {
	a, err := ParseAddr(addr)
	if err != nil {
		return nil, err
	}
	return a.dialer(a.token()), nil
}

func (a Addr) dialer(token string) bus.Dialer {
	return func(ctx context.Context) (bus.Transport, error) {
		switch a.Network {
		case "ws":
			t, err := dialWS(ctx, withToken(a.Address, token))
			if errors.Is(err, ErrForbidden) {
				err = bus.Terminal(err) // a bad token stays bad: no reconnecting
			}
			return t, err
		case "unix":
			if err := checkSocket(a.Address); err != nil {
				return nil, err
			}
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
		t := stream.New(nc, wire.DefaultMaxFrameBytes+wire.FrameOverheadBytes, writeTimeout)
		t.SetPool(readPool)
		return t, nil
	}
}

// New returns a client for the hub at addr that connects on Connect.
// Listeners may be added before. opts may be nil.
//
// On TCP and WebSocket addresses the client presents a token: opts.Token,
// else the address's (?token=T), else $IPCBUS_TOKEN, else the one the
// hub on the default socket wrote for its listeners (DefaultTokenPath),
// when that file is this user's and lists the address. On a Unix socket
// the hub knows the client's user from the kernel; the client connects
// only to a socket in a folder no one but its owner may write, and to the
// default socket only in a folder of its own user.
//
// Unless opts sets Redial
// or NoReconnect, the client reconnects to the same address (token
// included) when the hub goes away (see bus.Options).
func New(addr string, opts *bus.Options) (*bus.Client, error) {
	a, err := ParseAddr(addr)
	if err != nil {
		return nil, err
	}
	var o bus.Options
	if opts != nil {
		o = *opts
	}
	if o.Token == "" {
		o.Token = a.token()
	}
	if o.Addr == "" {
		o.Addr = addrName(addr)
	}
	dial := a.dialer(o.Token)
	if o.Redial == nil {
		o.Redial = dial
	}
	return bus.NewClient(dial, &o), nil
}

// Dial returns a client connected to the hub at addr. A ctx without
// deadline gets Options.ConnectTimeout (2 s by default; negative waits
// until the hub answers). A timeout names the address and the time
// allowed, and matches bus.ErrTimeout.
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
