//go:build !js

package bus

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/ipcbus/ipcbus/shared/wire"
)

// ServiceProxyOptions configure a ServiceProxy. The zero value is usable:
// each zero field means the default its comment gives.
type ServiceProxyOptions struct {
	// Timeout is the deadline of Connect, Status, CheckAvailability and
	// Call when their ctx has none: it covers the wait for the service to
	// start and the call itself (the original's timeoutDelay). Default
	// 2000 ms; negative means no deadline of the proxy's own (the client's
	// Options.RequestTimeout still bounds each request).
	Timeout time.Duration
	// MaxQueuedCalls bounds the calls waiting for the service to start;
	// past it Call fails with ErrCallQueueFull. Default 1024.
	MaxQueuedCalls int
}

// ServiceProxy calls a service and follows its events and its life
// (electron-common-ipc's IpcBusServiceProxy). It is an EventEmitter:
// listeners get the service's events by name, its wrapper events (an outer
// value's emits) by their own name, ServiceEventStart with the
// ServiceStatus and ServiceEventStop without arguments.
//
// Several peers may serve the same name. A proxy follows the instance it
// started with (LastStatus names its peer): its calls go to that peer
// only, and while it is started the events of other instances, their stops
// included, are not its. When its instance stops, the proxy reports the
// stop, then asks again whether another instance is started and follows
// that one if so.
//
// Listeners run one at a time, in order, on the goroutine that delivers
// the event (the client's dispatch goroutine, or the goroutine of a Connect
// or Close that starts or stops the proxy); like the client's, they must
// not block. Its methods are safe for concurrent use.
type ServiceProxy struct {
	EventEmitter
	client  *Client
	name    string
	opts    ServiceProxyOptions
	wrapper EventEmitter
	runner  serialRunner

	mu        sync.Mutex
	listening bool // between Connect and Close
	listenID  ListenerID
	started   bool
	status    ServiceStatus
	service   Peer
	startCh   chan struct{}   // closed at the next start or Close
	life      context.Context // the current start; ended by stop or Close
	end       context.CancelCauseFunc
	stops     uint64          // stop events seen, to spot a stale status
	lastStops [8]stopMark     // the latest of them
	look      context.Context // between Connect and Close: bounds the search for another instance
	endLook   context.CancelFunc
	queued    int // calls waiting for the start
}

// NewServiceProxy returns a proxy of the service named name, used through
// client. It listens to the service once Connect is called.
func NewServiceProxy(client *Client, name string, opts *ServiceProxyOptions) *ServiceProxy {
	p := &ServiceProxy{client: client, name: name, startCh: make(chan struct{})}
	if opts != nil {
		p.opts = *opts
	}
	if p.opts.Timeout == 0 {
		p.opts.Timeout = wire.DefaultRequestTimeout
	}
	if p.opts.MaxQueuedCalls <= 0 {
		p.opts.MaxQueuedCalls = 1024
	}
	p.runner.max = client.conn.opts.MaxQueuedEvents
	return p
}

// Name returns the service's name.
func (p *ServiceProxy) Name() string { return p.name }

// Wrapper returns the emitter that gets only the wrapper events, the
// events the service's outer value emitted (the original's
// getWrapper().on(...)).
func (p *ServiceProxy) Wrapper() *EventEmitter { return &p.wrapper }

// IsStarted reports whether the service is known to be started.
func (p *ServiceProxy) IsStarted() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.started
}

// LastStatus returns the status the service gave when it started, and
// the peer that serves it; both are zero while it is not started.
func (p *ServiceProxy) LastStatus() (ServiceStatus, Peer) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.status, p.service
}

func (p *ServiceProxy) withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok || p.opts.Timeout < 0 {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, p.opts.Timeout)
}

// Connect listens to the service's events and asks its status; it returns
// once the service is started, waiting for its start event if needed. A
// ctx without deadline gets ServiceProxyOptions.Timeout. When Connect fails
// the proxy still listens (calls made meanwhile keep waiting for the
// start) until Close. Connect on a started proxy returns nil at once.
func (p *ServiceProxy) Connect(ctx context.Context) error {
	ctx, cancel := p.withTimeout(ctx)
	defer cancel()
	p.mu.Lock()
	if !p.listening {
		p.listening = true
		p.look, p.endLook = context.WithCancel(context.Background())
		p.listenID = p.client.AddListener(ServiceEventChannel(p.name), p.onEvent, WithKey(p))
	}
	started, stops := p.started, p.stops
	p.mu.Unlock()
	if started {
		return nil
	}
	resp, err := p.request(ctx, Target{}, ServiceCallGetStatus, nil)
	switch {
	case err == nil:
		var st ServiceStatus
		if err := resp.Decode(&st); err != nil {
			return fmt.Errorf("ipcbus: connect to service %q: %w", p.name, err)
		}
		if st.Started {
			p.onStart(st, resp.Sender, stops)
		}
	case !errors.Is(err, ErrNoListener):
		return fmt.Errorf("ipcbus: connect to service %q: %w", p.name, err)
	}
	if err := p.waitStarted(ctx, false); err != nil {
		return fmt.Errorf("ipcbus: connect to service %q: %w", p.name, err)
	}
	return nil
}

// waitStarted waits for the service to start, or for ctx or Close. With
// queue set it counts as a queued call, bounded by MaxQueuedCalls.
func (p *ServiceProxy) waitStarted(ctx context.Context, queue bool) error {
	queued := false
	defer func() {
		if queued {
			p.mu.Lock()
			p.queued--
			p.mu.Unlock()
		}
	}()
	for {
		p.mu.Lock()
		if !p.listening {
			p.mu.Unlock()
			return ErrClosed
		}
		if p.started {
			p.mu.Unlock()
			return nil
		}
		if queue && !queued {
			if p.queued >= p.opts.MaxQueuedCalls {
				p.mu.Unlock()
				return ErrCallQueueFull
			}
			p.queued++
			queued = true
		}
		ch := p.startCh
		p.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return ErrTimeout
			}
			return ctx.Err()
		}
	}
}

// Close stops listening to the service. A started proxy emits
// ServiceEventStop, and its calls under way or waiting for the start fail
// with ErrClosed. The proxy may be connected again; Close on a proxy that
// is not connected does nothing.
func (p *ServiceProxy) Close() error {
	p.mu.Lock()
	if !p.listening {
		p.mu.Unlock()
		return nil
	}
	p.listening = false
	id := p.listenID
	p.listenID = 0
	if p.started {
		p.queueEmit(ServiceEventStop, emptyArgs, p.service, false)
	}
	p.halt(ErrClosed)
	p.endLook()
	p.mu.Unlock()
	p.client.Off(ServiceEventChannel(p.name), id)
	p.runner.drain()
	return nil
}

// halt marks the service not started, fails the calls under way with
// cause and wakes those waiting. p.mu must be held.
func (p *ServiceProxy) halt(cause error) {
	p.started = false
	p.status, p.service = ServiceStatus{}, Peer{}
	if p.end != nil {
		p.end(cause)
		p.life, p.end = nil, nil
	}
	close(p.startCh)
	p.startCh = make(chan struct{})
}

// Status asks the service for its status, at once, whether the proxy
// thinks it started or not: the instance the proxy follows when started,
// any instance else. A ctx without deadline gets the proxy's Timeout.
func (p *ServiceProxy) Status(ctx context.Context) (ServiceStatus, error) {
	ctx, cancel := p.withTimeout(ctx)
	defer cancel()
	var st ServiceStatus
	p.mu.Lock()
	to := Target{Peer: p.service.ID} // 0 when not started: any instance
	p.mu.Unlock()
	resp, err := p.request(ctx, to, ServiceCallGetStatus, nil)
	if err == nil {
		err = resp.Decode(&st)
	}
	if err != nil {
		return st, fmt.Errorf("ipcbus: status of service %q: %w", p.name, err)
	}
	return st, nil
}

// CheckAvailability asks the hub whether the service is available: a peer
// listens to its calls and announced its start. A ctx without deadline
// gets the proxy's Timeout.
func (p *ServiceProxy) CheckAvailability(ctx context.Context) (bool, error) {
	ctx, cancel := p.withTimeout(ctx)
	defer cancel()
	var ok bool
	resp, err := p.client.Request(ctx, wire.ChannelServiceAvailable, p.name)
	if err == nil {
		err = resp.Decode(&ok)
	}
	if err != nil {
		return false, fmt.Errorf("ipcbus: availability of service %q: %w", p.name, err)
	}
	return ok, nil
}

// request sends one call to the service, now: to the peer to names, or to
// every instance (the first answer wins) with a zero Target.
func (p *ServiceProxy) request(ctx context.Context, to Target, handler string, args []any) (*Response, error) {
	return p.client.RequestTo(ctx, to, ServiceCallChannel(p.name), serviceCallOut{HandlerName: handler, Args: orEmpty(args)})
}
