package bus

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/ipcbus/ipcbus/shared/wire"
)

// Response is the answer to a request: the channel, the peer that resolved
// it and its payload.
type Response struct {
	Channel string
	Sender  Peer
	payload []byte
}

// Raw returns the msgpack payload as received.
func (r *Response) Raw() []byte { return r.payload }

// Request is the answering side of a request, as a listener gets it in
// Event.Request. The first Resolve or Reject, by any listener of any local
// peer, answers; later calls do nothing and return false.
type Request struct {
	conn      *Conn
	id        uint64
	channel   string
	responder uint64
	settled   *atomic.Bool
	sess      *session // the hub's session it came on: answers go there only
}

// ResolveRaw is Resolve with the value already encoded: one msgpack value.
func (r *Request) ResolveRaw(value []byte) (bool, error) {
	if _, err := wire.ValueLen(value); err != nil || len(value) == 0 {
		r.Reject("response could not be sent: not one msgpack value")
		return false, fmt.Errorf("ipcbus: answer request on %q: %w", r.channel, wire.ErrMalformed)
	}
	return r.answer(wire.StatusResolved, value)
}

// Reject answers the request with a failure; the requester gets a
// *RejectedError carrying msg.
func (r *Request) Reject(msg string) (bool, error) {
	return r.answer(wire.StatusRejected, wire.AppendStr(nil, msg))
}

// Settled reports whether the request was answered already.
func (r *Request) Settled() bool { return r.settled.Load() }

func (r *Request) answer(status wire.Status, body []byte) (bool, error) {
	return r.answerTail(status, body, nil)
}

// answerTail answers with body followed by tail, the rest of the value in
// the caller's memory (send_borrowed.go), written before it returns.
func (r *Request) answerTail(status wire.Status, body, tail []byte) (bool, error) {
	b, _ := wire.AppendHeader(make([]byte, 0, 32), &wire.Frame{Kind: wire.KindResponse, Peer: r.responder, ID: r.id, Code: uint16(status)})
	f := wire.OutFrame{Head: b, Body: body, Tail: tail} // the writer joins small pieces
	if max := r.conn.MaxFrameBytes(); f.Len() > max {
		err := fmt.Errorf("%w: %d bytes, the hub's limit is %d", ErrFrameTooLarge, f.Len(), max)
		if status != wire.StatusRejected {
			// Tell the requester rather than leave it waiting.
			r.Reject(fmt.Sprintf("response could not be sent: %v", err))
		}
		return false, fmt.Errorf("ipcbus: answer request on %q: %w", r.channel, err)
	}
	if !r.settled.CompareAndSwap(false, true) {
		return false, nil
	}
	if err := r.conn.pushNow(context.Background(), r.sess, f, false); err != nil {
		return false, fmt.Errorf("ipcbus: answer request on %q: %w", r.channel, err)
	}
	return true, nil
}

// pending is a request waiting for its response: RequestRaw waits on ch,
// RequestRawAsync gets done.
type pending struct {
	client  *Client
	channel string
	ch      chan result  // buffered 1; settle never blocks
	done    func(result) // called by the first settle, instead of ch
	settled atomic.Bool
	queued  bool // in the reconnect buffer, not sent yet; guarded by Conn.mu
}

type result struct {
	status wire.Status
	sender Peer
	body   []byte
	err    error
}

func (p *pending) settle(r result) {
	if p.done != nil {
		if p.settled.CompareAndSwap(false, true) {
			p.done(r)
		}
		return
	}
	select {
	case p.ch <- r:
	default:
	}
}

// RequestRaw is RequestTo with the arguments already encoded: one msgpack
// array. The response's payload is left encoded (Response.Raw).
func (cl *Client) RequestRaw(ctx context.Context, to Target, channel string, args []byte) (*Response, error) {
	resp, err := cl.roundTrip(ctx, to, channel, args, nil)
	return requestOutcome(channel, resp, err)
}

// requestOutcome is what RequestRaw returns for a round trip's outcome.
func requestOutcome(channel string, resp *Response, err error) (*Response, error) {
	if err != nil {
		var rej *RejectedError
		if errors.As(err, &rej) {
			return nil, err
		}
		return nil, fmt.Errorf("ipcbus: request on %q: %w", channel, err)
	}
	return resp, nil
}

// RequestRawAsync is RequestRaw without waiting: done gets the outcome
// RequestRaw would return, once, on the goroutine that reads the
// connection, on the one that ends it, or on the caller's when the request
// cannot be sent; it must not block. ctx bounds only the wait for room in
// the outbound queue (a done ctx fails at once when it is full). There is
// no timeout: cancel(err) gives up on the request, tells the hub, and calls
// done with err unless done was called already. The engine of client.wasm
// answers its JavaScript this way, without a goroutine per request.
func (cl *Client) RequestRawAsync(ctx context.Context, to Target, channel string, args []byte, done func(*Response, error)) (cancel func(error)) {
	p := &pending{client: cl, channel: channel, done: func(r result) {
		resp, err := r.response(channel)
		done(requestOutcome(channel, resp, err))
	}}
	id, err := cl.start(ctx, to, channel, args, nil, p)
	if err != nil {
		p.settle(result{err: err})
		return func(error) {}
	}
	return func(err error) {
		cl.forget(id, true)
		p.settle(result{err: err})
	}
}

func (cl *Client) roundTrip(ctx context.Context, to Target, channel string, args, tail []byte) (*Response, error) {
	c := cl.conn
	timeout := time.Duration(0)
	allowed := timeout // reported by a timeout
	if dl, ok := ctx.Deadline(); ok {
		allowed = time.Until(dl)
	} else if c.opts.RequestTimeout > 0 {
		timeout, allowed = c.opts.RequestTimeout, c.opts.RequestTimeout
	}
	p := &pending{client: cl, channel: channel, ch: make(chan result, 1)}
	id, err := cl.start(ctx, to, channel, args, tail, p)
	if err != nil {
		return nil, err
	}
	var expired <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		expired = t.C
	}
	select {
	case r := <-p.ch:
		return r.response(channel)
	case <-expired:
		cl.forget(id, true)
		return nil, &timedOut{after: allowed}
	case <-ctx.Done():
		cl.forget(id, true)
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return nil, &timedOut{after: allowed}
		}
		return nil, ctx.Err()
	}
}

// start registers p as a new request and sends it; it returns the
// request's id.
// A tail, when not nil, is the rest of args in the caller's memory
// (send_borrowed.go): the request is then written before start returns.
func (cl *Client) start(ctx context.Context, to Target, channel string, args, tail []byte, p *pending) (uint64, error) {
	c := cl.conn
	id := c.newID()
	var f wire.OutFrame
	var err error
	if tail == nil {
		f, err = cl.frame(wire.KindRequest, to, channel, id, nil, args)
	} else {
		f, err = cl.frameOf(wire.KindRequest, to, channel, id, nil, args, tail)
	}
	if err != nil {
		return 0, err
	}
	c.mu.Lock()
	switch st := c.Status(); {
	case st.outage():
		// Sent once reconnected, unless given up before.
		err := c.buf.add(buffered{cl: cl, frame: joined(f), reqID: id}, true)
		if err == nil {
			p.queued = true
			c.pending[id] = p
		}
		c.mu.Unlock()
		return id, err
	case st != StatusConnected:
		err := c.cause
		c.mu.Unlock()
		if err == nil {
			err = ErrNotConnected
		}
		return 0, err
	}
	c.pending[id] = p
	s := c.sess
	c.mu.Unlock()
	if err := c.pushNow(ctx, s, f, true); err != nil {
		cl.forget(id, false)
		return 0, err
	}
	return id, nil
}

// forget drops a pending request; with cancel set it tells the hub too.
func (cl *Client) forget(id uint64, cancel bool) {
	c := cl.conn
	c.mu.Lock()
	p, ok := c.pending[id]
	delete(c.pending, id)
	if ok && p.queued {
		c.buf.remove(id) // never sent: nothing to cancel
		ok = false
	}
	c.mu.Unlock()
	if ok && cancel {
		f, _ := wire.Append(nil, &wire.Frame{Kind: wire.KindCancel, ID: id})
		c.push(context.Background(), f, false)
	}
}

func (r result) response(channel string) (*Response, error) {
	if r.err != nil {
		return nil, r.err
	}
	switch r.status {
	case wire.StatusResolved:
		return &Response{Channel: channel, Sender: r.sender, payload: r.body}, nil
	case wire.StatusRejected:
		msg, err := wire.DecodeString(r.body)
		if err != nil {
			msg = "(a rejection that is not a string)"
		}
		return nil, &RejectedError{Channel: channel, Message: msg, Peer: r.sender}
	case wire.StatusNoListener:
		return nil, ErrNoListener
	case wire.StatusResponderGone:
		return nil, ErrResponderGone
	}
	reason, _ := wire.DecodeString(r.body)
	return nil, fmt.Errorf("%w: %s", ErrRefused, reason)
}
