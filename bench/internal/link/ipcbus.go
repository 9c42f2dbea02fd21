package link

import (
	"context"
	"fmt"

	"github.com/ipcbus/ipcbus/nativeclient"
	"github.com/ipcbus/ipcbus/shared/bus"
)

// IPCBus returns a dialer of ipcbus clients for a hub address as
// nativeclient takes it ("unix:/path", "tcp:127.0.0.1:port").
func IPCBus(addr string) Dialer {
	return func(ctx context.Context) (Link, error) {
		c, err := nativeclient.Dial(ctx, addr, &bus.Options{Name: "bench"})
		if err != nil {
			return nil, err
		}
		return &ipcbusLink{c: c}, nil
	}
}

type ipcbusLink struct{ c *bus.Client }

func (l *ipcbusLink) Listen(ch string, fn func(Msg)) (func(), error) {
	id := l.c.On(ch, func(e *bus.Event) {
		// Decode the payload as a user would: electron-common-ipc and NATS
		// hand their listeners the decoded bytes too.
		var p []byte
		if err := e.Args(&p); err != nil {
			p = nil
		}
		m := Msg{Data: p}
		if r := e.Request; r != nil {
			m.Respond = func(p []byte) error { _, err := r.Resolve(p); return err }
		}
		fn(m)
	})
	return func() { l.c.Off(ch, id) }, nil
}

func (l *ipcbusLink) Publish(ch string, _ []int, p []byte) error {
	return l.c.Send(context.Background(), ch, p)
}

func (l *ipcbusLink) Flush() error { return nil }

func (l *ipcbusLink) Request(ctx context.Context, ch string, _ int, p []byte) ([]byte, error) {
	r, err := l.c.Request(ctx, ch, p)
	if err != nil {
		return nil, err
	}
	var out []byte
	if err := r.Decode(&out); err != nil {
		return nil, fmt.Errorf("decode answer: %w", err)
	}
	return out, nil
}

func (l *ipcbusLink) Sync(ctx context.Context) error { return l.c.Conn().Flush(ctx) }

func (l *ipcbusLink) Dropped() uint64 { return l.c.Conn().Dropped() }

func (l *ipcbusLink) Close() error { return l.c.Close() }

func (l *ipcbusLink) SendValues(ch string, args ...any) error {
	return l.c.Send(context.Background(), ch, args...)
}

func (l *ipcbusLink) ListenValues(ch string, fn func(decode func(dst ...any) error)) (func(), error) {
	id := l.c.On(ch, func(e *bus.Event) { fn(e.Args) })
	return func() { l.c.Off(ch, id) }, nil
}
