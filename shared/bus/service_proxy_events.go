//go:build !js

package bus

import (
	"context"
	"fmt"

	"github.com/ipcbus/ipcbus/shared/wire"
)

// onEvent runs on the dispatch goroutine for each message on the service's
// event channel. While started, the proxy hears only the instance it
// follows.
func (p *ServiceProxy) onEvent(e *Event) {
	var msg serviceEventIn
	if err := e.Args(&msg); err != nil {
		p.reportError(fmt.Errorf("ipcbus: service %q: bad event: %w", p.name, err))
		return
	}
	if msg.EventName == ServiceEventStop {
		p.onStop(e.Sender)
		return
	}
	p.mu.Lock()
	other := p.started && e.Sender.ID != p.service.ID
	p.mu.Unlock()
	if other {
		return // another instance's
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
	default:
		p.emit(msg.EventName, argsArray(msg.Args), e.Sender, false)
	}
}

// stopMark is one stop event seen: its sender and its number in p.stops.
type stopMark struct{ peer, n uint64 }

// onStart marks the service started from a status that sender answered at
// stops (the count of stop events seen when it was asked): a stop from
// sender seen since makes the status stale, and it is ignored.
func (p *ServiceProxy) onStart(st ServiceStatus, sender Peer, stops uint64) {
	p.mu.Lock()
	if !p.stoppedSinceLocked(sender.ID, stops) {
		p.startLocked(st, sender, encodeList(st))
	}
	p.mu.Unlock()
	p.runner.drain()
}

// stoppedSinceLocked reports whether peer sent a stop event after the
// first stops ones. Past what lastStops remembers, it assumes so.
func (p *ServiceProxy) stoppedSinceLocked(peer, stops uint64) bool {
	if p.stops-stops > uint64(len(p.lastStops)) {
		return true
	}
	for _, m := range p.lastStops {
		if m.n > stops && m.peer == peer {
			return true
		}
	}
	return false
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

// onStop handles a stop event from sender. From the instance the proxy
// follows, it marks the service stopped: the calls under way fail with
// *ServiceStoppedError, listeners get ServiceEventStop, and the proxy looks
// for another started instance. From any other peer it only makes that
// peer's status answers under way stale.
func (p *ServiceProxy) onStop(sender Peer) {
	p.mu.Lock()
	p.stops++
	p.lastStops[p.stops%uint64(len(p.lastStops))] = stopMark{peer: sender.ID, n: p.stops}
	if p.started && sender.ID == p.service.ID {
		p.halt(&ServiceStoppedError{Service: p.name})
		p.queueEmit(ServiceEventStop, emptyArgs, sender, false)
		p.lookAgainLocked(sender.ID)
	}
	p.mu.Unlock()
	p.runner.drain()
}

// lookAgainLocked looks, in the background and bounded by the proxy's
// Timeout, for another instance the hub knows started (the stopped one,
// gone, excluded), asks its status and follows it if it is started. Close
// ends the search. p.mu must be held.
func (p *ServiceProxy) lookAgainLocked(gone uint64) {
	if !p.listening {
		return
	}
	timeout := p.opts.Timeout
	if timeout < 0 {
		timeout = wire.DefaultRequestTimeout
	}
	stops, look := p.stops, p.look
	go func() {
		ctx, cancel := context.WithTimeout(look, timeout)
		defer cancel()
		resp, err := p.client.Request(ctx, wire.ChannelQueryServices)
		if err != nil {
			return // the proxy closed, or the hub is gone
		}
		var known []struct {
			Name string `msgpack:"name"`
			Peer Peer   `msgpack:"peer"`
		}
		if resp.Decode(&known) != nil {
			return
		}
		for _, k := range known {
			if k.Name != p.name || k.Peer.ID == gone {
				continue
			}
			resp, err := p.request(ctx, Target{Peer: k.Peer.ID}, ServiceCallGetStatus, nil)
			var st ServiceStatus
			if err == nil && resp.Decode(&st) == nil && st.Started {
				p.onStart(st, resp.Sender, stops)
				return
			}
		}
	}()
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
