package link

import (
	"context"
	"sync"

	"github.com/nats-io/nats.go"
)

// NATS returns a dialer of nats.go clients for a server URL.
func NATS(url string) Dialer {
	return func(ctx context.Context) (Link, error) {
		opts := []nats.Option{nats.Name("bench"), nats.NoReconnect()}
		if dl, ok := ctx.Deadline(); ok {
			opts = append(opts, nats.Timeout(timeUntil(dl)))
		}
		nc, err := nats.Connect(url, opts...)
		if err != nil {
			return nil, err
		}
		return &natsLink{nc: nc}, nil
	}
}

type natsLink struct {
	nc      *nats.Conn
	mu      sync.Mutex
	subs    map[*nats.Subscription]bool
	dropped uint64 // by subscriptions already stopped
}

func (l *natsLink) Listen(ch string, fn func(Msg)) (func(), error) {
	sub, err := l.nc.Subscribe(ch, func(m *nats.Msg) {
		msg := Msg{Data: m.Data}
		if m.Reply != "" {
			msg.Respond = m.Respond
		}
		fn(msg)
	})
	if err != nil {
		return nil, err
	}
	// No pending limits past the defaults: credits keep the queue short.
	l.mu.Lock()
	if l.subs == nil {
		l.subs = make(map[*nats.Subscription]bool)
	}
	l.subs[sub] = true
	l.mu.Unlock()
	return func() {
		l.mu.Lock()
		if d, err := sub.Dropped(); err == nil {
			l.dropped += uint64(d)
		}
		delete(l.subs, sub)
		l.mu.Unlock()
		sub.Unsubscribe()
	}, nil
}

func (l *natsLink) Publish(ch string, _ []int, p []byte) error { return l.nc.Publish(ch, p) }

func (l *natsLink) Flush() error { return nil }

func (l *natsLink) Request(ctx context.Context, ch string, _ int, p []byte) ([]byte, error) {
	m, err := l.nc.RequestWithContext(ctx, ch, p)
	if err != nil {
		return nil, err
	}
	return m.Data, nil
}

func (l *natsLink) Sync(ctx context.Context) error { return l.nc.FlushWithContext(ctx) }

func (l *natsLink) Dropped() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := l.dropped
	for s := range l.subs {
		if d, err := s.Dropped(); err == nil {
			n += uint64(d)
		}
	}
	return n
}

func (l *natsLink) Close() error { l.nc.Close(); return nil }
