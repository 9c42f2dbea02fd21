//go:build !js

package bus

import (
	"context"
	"fmt"

	"github.com/ipcbus/ipcbus/shared/wire"
)

// The methods that take and give Go values, encoded with the msgpack
// library. Under js/wasm the engine is built without them (and without
// that library, which would not fit client.wasm's size budget): a binding
// encodes values itself and uses the Raw methods.

// Send sends args on channel to every listener of every peer, this one's
// included. It waits only while the outbound queue is full (see package
// doc); ctx bounds that wait. When the last argument is a []byte of
// 64 KiB or more, it is written from where it is, with no copy, and Send
// returns once it is written (bounded by the transport's write timeout,
// 10 s natively): the caller may reuse its memory as soon as Send
// returns, either way.
func (cl *Client) Send(ctx context.Context, channel string, args ...any) error {
	return cl.SendTo(ctx, Target{}, channel, args...)
}

// SendTo sends args on channel to the listeners of one peer, or of every
// peer of one process.
func (cl *Client) SendTo(ctx context.Context, to Target, channel string, args ...any) error {
	if tail := borrowable(args); tail != nil {
		if err := cl.sendBorrowed(ctx, to, channel, args, tail); err != nil {
			return fmt.Errorf("ipcbus: send on %q: %w", channel, err)
		}
		return nil
	}
	raw, err := encodeArgs(nil, args)
	if err != nil {
		return fmt.Errorf("ipcbus: send on %q: %w", channel, err)
	}
	return cl.SendRaw(ctx, to, channel, raw)
}

// Resolve answers the request with v. It reports whether this call answered
// it; an error means v could not be encoded or the connection is gone.
func (r *Request) Resolve(v any) (bool, error) {
	if b, ok := v.([]byte); ok && len(b) >= borrowMin {
		return r.answerTail(wire.StatusResolved, wire.AppendBinHeader(nil, len(b)), b)
	}
	body, err := encodeValue(nil, v)
	if err != nil {
		r.Reject(fmt.Sprintf("response could not be sent: %v", err))
		return false, fmt.Errorf("ipcbus: answer request on %q: %w", r.channel, err)
	}
	return r.answer(wire.StatusResolved, body)
}

// Request sends args on channel as a request and waits for the first
// answer from any listener. A ctx without deadline gets
// Options.RequestTimeout (2000 ms unless set; negative waits forever).
// Errors: ErrTimeout, *RejectedError (ErrRejected), ErrNoListener at once
// when nobody listens, ErrResponderGone, ErrClosed.
func (cl *Client) Request(ctx context.Context, channel string, args ...any) (*Response, error) {
	return cl.RequestTo(ctx, Target{}, channel, args...)
}

// RequestTo is Request restricted to one peer, or to the peers of one process.
func (cl *Client) RequestTo(ctx context.Context, to Target, channel string, args ...any) (*Response, error) {
	if tail := borrowable(args); tail != nil {
		head, err := borrowedArgs(args, tail)
		if err != nil {
			return nil, fmt.Errorf("ipcbus: request on %q: %w", channel, err)
		}
		resp, err := cl.roundTrip(ctx, to, channel, head, tail)
		return requestOutcome(channel, resp, err)
	}
	raw, err := encodeArgs(nil, args)
	if err != nil {
		return nil, fmt.Errorf("ipcbus: request on %q: %w", channel, err)
	}
	return cl.RequestRaw(ctx, to, channel, raw)
}

// Decode decodes the payload into v, a pointer.
func (r *Response) Decode(v any) error {
	if _, err := decodeValue(r.payload, v); err != nil {
		return fmt.Errorf("ipcbus: decode response into %T: %w", v, err)
	}
	return nil
}

// Value decodes the payload into a generic value.
func (r *Response) Value() (any, error) { return decodeValue(r.payload, nil) }

// Args decodes the event's arguments, in order, into the pointers given;
// a decoded []byte shares the event's memory (valid until the listener
// returns unless it calls Keep: see Event); pass nil to skip one. Fewer pointers than arguments is fine; missing
// arguments leave their pointers untouched.
func (e *Event) Args(dst ...any) error { return decodeArgs(e.args, dst) }

// Values decodes every argument into a generic value.
func (e *Event) Values() ([]any, error) { return decodeValues(e.args) }

// Decode decodes the message into v, a pointer.
func (m *PortMessage) Decode(v any) error {
	_, err := decodeValue(m.data, v)
	return err
}

// Value decodes the message into a generic value.
func (m *PortMessage) Value() (any, error) { return decodeValue(m.data, nil) }

// Post sends msg to the other end. It waits only while the outbound queue
// is full (see package doc).
func (p *Port) Post(ctx context.Context, msg any) error {
	body, err := encodeValue(nil, msg)
	if err != nil {
		return fmt.Errorf("ipcbus: port post: %w", err)
	}
	return p.PostRaw(ctx, body)
}

// PostMessage sends msg on channel with ports, as electron-common-ipc's
// postMessage: listeners get (msg) with the ports' other ends in
// Event.Ports. Ports go to one peer: a peer of this connection when one
// listens, else the first peer the hub finds; other listeners get the
// message alone. Each port can be transferred once.
func (cl *Client) PostMessage(ctx context.Context, channel string, msg any, ports ...*Port) error {
	return cl.PostMessageTo(ctx, Target{}, channel, msg, ports...)
}

// PostMessageTo is PostMessage to one peer, or the peers of one process.
func (cl *Client) PostMessageTo(ctx context.Context, to Target, channel string, msg any, ports ...*Port) error {
	body, err := encodeValue(nil, msg)
	if err != nil {
		return fmt.Errorf("ipcbus: postMessage on %q: %w", channel, err)
	}
	return cl.PostMessageRaw(ctx, to, channel, body, ports...)
}
