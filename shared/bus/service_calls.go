//go:build !js

package bus

import (
	"context"
	"fmt"
)

// onCall runs on the dispatch goroutine for each message on the call
// channel: it finds the handler and runs it on a goroutine of its own, so
// that a handler may wait for the bus without blocking the dispatch.
func (s *Service) onCall(e *Event) {
	var msg serviceCallIn
	if err := e.Args(&msg); err != nil {
		s.answer(e.Request, nil, fmt.Errorf("bad call: %w", err))
		return
	}
	s.mu.Lock()
	h, started, life := s.handlers[msg.HandlerName], s.started, s.life
	s.mu.Unlock()
	switch {
	case !started:
		s.answer(e.Request, nil, &ServiceStoppedError{Service: s.name})
		return
	case h == nil:
		s.answer(e.Request, nil, errorString(unknownHandlerMessage))
		return
	}
	select {
	case s.slots <- struct{}{}:
	default:
		s.answer(e.Request, nil, fmt.Errorf("%w: %d calls running", ErrServiceBusy, cap(s.slots)))
		return
	}
	call := &ServiceCall{Service: s.name, Handler: msg.HandlerName, Sender: e.Sender, args: argsArray(msg.Args)}
	req := e.Request
	go func() {
		defer func() { <-s.slots }()
		v, err := s.runHandler(life, h, call)
		if life.Err() != nil {
			// Stopped meanwhile: the proxies reject the call so; say the
			// same to a requester that is not a proxy.
			v, err = nil, &ServiceStoppedError{Service: s.name}
		}
		s.answer(req, v, err)
	}()
}

// runHandler calls h; a panic rejects the call and is reported.
func (s *Service) runHandler(ctx context.Context, h CallHandler, call *ServiceCall) (v any, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%v", p)
			s.client.conn.opts.OnError(&PanicError{Channel: ServiceCallChannel(s.name) + "#" + call.Handler, Value: p})
		}
	}()
	return h(ctx, call)
}

// answer settles a call: a request gets the value or the error's message;
// a send (the original's sendCall) gets nothing. An answer that cannot be
// sent is reported.
func (s *Service) answer(req *Request, v any, err error) {
	if req == nil {
		if err != nil {
			s.client.conn.opts.OnError(fmt.Errorf("ipcbus: service %q: call sent without request failed: %w", s.name, err))
		}
		return
	}
	if err != nil {
		_, err = req.Reject(err.Error())
	} else {
		_, err = req.Resolve(v)
	}
	if err != nil {
		s.client.conn.opts.OnError(fmt.Errorf("ipcbus: service %q: %w", s.name, err))
	}
}

// errorString is an error whose message is exactly its text, for the
// rejections whose wording the original fixes.
type errorString string

func (e errorString) Error() string { return string(e) }
