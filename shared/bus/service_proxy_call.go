//go:build !js

package bus

import (
	"context"
	"errors"
	"fmt"
)

// Call calls handler of the service with args and returns its answer; decode
// it with Response.Decode, or use CallAs. A call made while the service is
// not started waits for its start (at most ServiceProxyOptions.MaxQueuedCalls
// calls wait), then runs. A ctx without deadline gets the proxy's Timeout,
// which covers the wait and the call. Call needs Connect first (Connect may
// still be waiting for the service).
//
// Errors, all wrapped: *RejectedError (ErrRejected) with the handler's
// error message, or "Function unknown !" for a handler the service does not
// have; *ServiceStoppedError (ErrServiceStopped) when the service stopped
// before answering; ErrTimeout; ErrCallQueueFull; ErrClosed when the proxy
// was closed or never connected; the client's request errors.
func (p *ServiceProxy) Call(ctx context.Context, handler string, args ...any) (*Response, error) {
	resp, err := p.call(ctx, handler, args)
	if err != nil {
		return nil, fmt.Errorf("ipcbus: call %q of service %q: %w", handler, p.name, err)
	}
	return resp, nil
}

func (p *ServiceProxy) call(ctx context.Context, handler string, args []any) (*Response, error) {
	ctx, cancel := p.withTimeout(ctx)
	defer cancel()
	if err := p.waitStarted(ctx, true); err != nil {
		return nil, err
	}
	p.mu.Lock()
	life, to := p.life, Target{Peer: p.service.ID}
	p.mu.Unlock()
	if life == nil { // stopped again already
		return nil, &ServiceStoppedError{Service: p.name}
	}
	// The call ends when the service stops or the proxy closes, with the
	// reason as its error.
	rctx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	defer context.AfterFunc(life, func() { stop(context.Cause(life)) })()
	resp, err := p.request(rctx, to, handler, args)
	if err != nil && ctx.Err() == nil && rctx.Err() != nil {
		return nil, context.Cause(rctx)
	}
	// The service rejects so the calls it was running when it stopped;
	// that answer may come before the stop event.
	stopped := &ServiceStoppedError{Service: p.name}
	if rej, ok := errors.AsType[*RejectedError](err); ok && rej.Message == stopped.Error() {
		return nil, stopped
	}
	return resp, err
}

// CallAs calls handler of the service through p, as Call does, and decodes
// its answer into a T.
func CallAs[T any](ctx context.Context, p *ServiceProxy, handler string, args ...any) (T, error) {
	var v T
	resp, err := p.Call(ctx, handler, args...)
	if err != nil {
		return v, err
	}
	if err := resp.Decode(&v); err != nil {
		return v, fmt.Errorf("ipcbus: call %q of service %q: %w", handler, p.name, err)
	}
	return v, nil
}
