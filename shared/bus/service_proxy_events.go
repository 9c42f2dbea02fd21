//go:build !js

package bus

import (
	"context"
	"fmt"
)

// onEvent runs on the dispatch goroutine for each message on the service's
// event channel.
func (p *ServiceProxy) onEvent(e *Event) {
	var msg serviceEventIn
	if err := e.Args(&msg); err != nil {
		p.reportError(fmt.Errorf("ipcbus: service %q: bad event: %w", p.name, err))
		return
	}
	switch msg.EventName {
	case ServiceWrapperEvent:
		name, args, err := splitWrapperArgs(msg.Args)
		if err != nil {
			p.reportError(fmt.Errorf("ipcbus: service %q: %w", p.name, err))
			return
		}
		p.emit(name, args, e.Sender, true)
	case ServiceEventStart:
		var st ServiceStatus
		if err := decodeArgs(argsArray(msg.Args), []any{&st}); err != nil {
			p.reportError(fmt.Errorf("ipcbus: service %q: bad start event: %w", p.name, err))
		}
		p.mu.Lock()
		p.startLocked(st, e.Sender, argsArray(msg.Args))
		p.mu.Unlock()
		p.runner.drain()
	case ServiceEventStop:
		p.onStop()
	default:
		p.emit(msg.EventName, argsArray(msg.Args), e.Sender, false)
	}
}

// onStart marks the service started from a status answered at stops (the
// count of stop events seen when it was asked): a stop seen since makes
// the status stale, and it is ignored.
func (p *ServiceProxy) onStart(st ServiceStatus, sender Peer, stops uint64) {
	p.mu.Lock()
	if p.stops == stops {
		p.startLocked(st, sender, encodeList(st))
	}
	p.mu.Unlock()
	p.runner.drain()
}

// startLocked marks the service started, releases the calls waiting for it
// and queues ServiceEventStart with raw as arguments for the listeners. A
// proxy started already, or not listening, ignores it. p.mu must be held;
// the caller drains the runner once it unlocked.
func (p *ServiceProxy) startLocked(st ServiceStatus, sender Peer, raw []byte) {
	if p.started || !p.listening {
		return
	}
	p.started = true
	p.status, p.service = st, sender
	p.life, p.end = context.WithCancelCause(context.Background())
	close(p.startCh)
	p.startCh = make(chan struct{})
	p.queueEmit(ServiceEventStart, raw, sender, false)
}

// onStop marks the service stopped: the calls under way fail with
// *ServiceStoppedError, and listeners get ServiceEventStop.
func (p *ServiceProxy) onStop() {
	p.mu.Lock()
	p.stops++
	if p.started {
		sender := p.service
		p.halt(&ServiceStoppedError{Service: p.name})
		p.queueEmit(ServiceEventStop, emptyArgs, sender, false)
	}
	p.mu.Unlock()
	p.runner.drain()
}

// emit calls the listeners of event (and the wrapper's, for a wrapper
// event), one callback at a time across the proxy.
func (p *ServiceProxy) emit(event string, args []byte, sender Peer, wrapper bool) {
	p.queueEmit(event, args, sender, wrapper)
	p.runner.drain()
}

// queueEmit queues an emission, in the order of the proxy's state changes
// when called under p.mu; a full queue drops it and reports it.
func (p *ServiceProxy) queueEmit(event string, args []byte, sender Peer, wrapper bool) {
	ok := p.runner.push(func() {
		if wrapper {
			p.wrapper.emit(&Event{Channel: event, Sender: sender, args: args}, p.reportError)
		}
		p.EventEmitter.emit(&Event{Channel: event, Sender: sender, args: args}, p.reportError)
	})
	if !ok {
		p.reportError(fmt.Errorf("%w: service %q event %q", ErrSlowConsumer, p.name, event))
	}
}

func (p *ServiceProxy) reportError(err error) { p.client.conn.opts.OnError(err) }
