//go:build !js

package bus

import (
	"context"
	"fmt"

	"github.com/ipcbus/ipcbus/shared/wire"
)

// SpyEvent is one thing the hub routed, as a spy sees it: a send, a
// request, a response with its latency and outcome, a port message, a peer
// joining or leaving, a slow consumer closed (see wire.SpyEvent).
type SpyEvent = wire.SpyEvent

// SpyFilter chooses the events a spy gets: channel patterns ("*" one
// segment, "**" any number) and peer names or ids (see wire.SpyFilter).
// The zero SpyFilter lets everything through.
type SpyFilter = wire.SpyFilter

// Spy attaches this client as a spy of the hub: fn is called with each
// event the hub sees that passes filter, in order, on the client's
// dispatch goroutine (it must not block long), until stop is called or
// the client closes. A reconnected client attaches its spies again by
// itself (events of the outage are not seen); an error doing so goes to
// Options.OnError. A spy that falls behind is closed by the hub as a slow
// consumer: the bus does not wait for it. ctx bounds the hub's answer.
// A client has one spy at a time (the hub keeps one filter per peer): Spy
// fails while another is attached.
//
// Any client can do the same through the protocol: listen on
// wire.ChannelSpy, then request on it with the filter as argument.
func (cl *Client) Spy(ctx context.Context, filter SpyFilter, fn func(SpyEvent)) (stop func(), err error) {
	for _, l := range cl.Listeners(wire.ChannelSpy) {
		if _, ok := l.Key.(*spy); ok {
			return nil, fmt.Errorf("ipcbus: spy: this client has a spy attached already; stop it first")
		}
	}
	sp := &spy{client: cl, filter: filter}
	id := cl.AddListener(wire.ChannelSpy, func(e *Event) {
		if e.Sender.Process.Type != "hub" {
			return // a peer sending on the spy channel is no hub event
		}
		var ev SpyEvent
		if e.Args(&ev) == nil {
			fn(ev)
		}
	}, WithKey(sp))
	stop = func() { cl.Off(wire.ChannelSpy, id) }
	if err := sp.attach(ctx); err != nil {
		stop()
		return nil, err
	}
	return stop, nil
}

// spy is the key of a spy's listener: it attaches the spy again when the
// connection comes back (see reconnectHook).
type spy struct {
	client *Client
	filter SpyFilter
}

// attach asks the hub to send this client the events that pass the filter.
func (sp *spy) attach(ctx context.Context) error {
	resp, err := sp.client.Request(ctx, wire.ChannelSpy, sp.filter)
	if err != nil {
		return fmt.Errorf("ipcbus: spy: %w", err)
	}
	var ok bool
	if err := resp.Decode(&ok); err != nil || !ok {
		return fmt.Errorf("ipcbus: spy: the hub did not attach the spy")
	}
	return nil
}

// connLost: the hub's tap ended with the connection; nothing to tell.
func (sp *spy) connLost(error) func() { return nil }

// reconnected attaches the spy to the new hub session.
func (sp *spy) reconnected(ctx context.Context) {
	if err := sp.attach(ctx); err != nil {
		sp.client.conn.opts.OnError(fmt.Errorf("ipcbus: reconnect: %w", err))
	}
}
