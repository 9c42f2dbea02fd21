//go:build !js

package bus

import (
	"context"
	"errors"
	"fmt"
)

// What services and their proxies do when the connection reconnects
// (reconnect.go finds them as the keys of their listeners).

// connLost: a service keeps running; its handlers' answers to requests of
// the lost hub fail with ErrDisconnected.
func (s *Service) connLost(error) func() { return nil }

// reconnected announces a started service again, with its status, so the
// new hub knows it and proxies waiting for its start are released.
func (s *Service) reconnected(ctx context.Context) {
	if !s.IsStarted() {
		return
	}
	if err := s.Start(ctx); err != nil {
		s.client.conn.opts.OnError(fmt.Errorf("ipcbus: reconnect: %w", err))
	}
}

func (p *ServiceProxy) proxyHook() {}

// connLost marks the service not started: its calls under way fail with
// cause (ErrDisconnected), calls made from now on wait for it to start
// again, and listeners get ServiceEventStop.
func (p *ServiceProxy) connLost(cause error) func() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stops++
	if !p.started {
		return nil
	}
	sender := p.service
	p.halt(cause)
	p.queueEmit(ServiceEventStop, emptyArgs, sender, false)
	return p.runner.drain
}

// reconnected asks the service's status again, as Connect does: a service
// back already is started at once (with its new peer), one not back yet
// starts the proxy with its start event.
func (p *ServiceProxy) reconnected(ctx context.Context) {
	p.mu.Lock()
	listening, started, stops := p.listening, p.started, p.stops
	p.mu.Unlock()
	if !listening || started {
		return
	}
	resp, err := p.request(ctx, Target{}, ServiceCallGetStatus, nil)
	if err != nil {
		if !errors.Is(err, ErrNoListener) && !errors.Is(err, ErrClosed) {
			p.reportError(fmt.Errorf("ipcbus: reconnect: status of service %q: %w", p.name, err))
		}
		return
	}
	var st ServiceStatus
	if err := resp.Decode(&st); err != nil {
		p.reportError(fmt.Errorf("ipcbus: reconnect: status of service %q: %w", p.name, err))
		return
	}
	if st.Started {
		p.onStart(st, resp.Sender, stops)
	}
}
