//go:build !js

package bus

import (
	"context"
	"fmt"
	"strings"
	"sync"
)

// ServiceOptions configure a Service. The zero value is usable: each zero
// field means the default its comment gives.
type ServiceOptions struct {
	// MaxConcurrentCalls bounds the handlers running at once; a call that
	// arrives past it is rejected with ErrServiceBusy's message. Default 1024.
	MaxConcurrentCalls int
	// MethodName names the handler of an outer value's method. Default: the
	// method's name as is ("GetTime"); a JS-style API may lower the first
	// letter.
	MethodName func(method string) string
	// SupportEventEmitter is announced in the status as supportEventEmitter
	// while the service runs. It is set for an outer value that is an
	// EventSource; a binding sets it for an outer object that emits.
	SupportEventEmitter bool
}

// EventSource is implemented by an outer value that emits events, as an
// outer JS object extending EventEmitter does. NewService calls BindEmit
// once with a function that sends each event to the service's proxies as a
// wrapper event while the service is started (and does nothing while it
// is stopped). BindEmit is not a call handler.
type EventSource interface {
	BindEmit(emit func(event string, args ...any) error)
}

// Service exposes call handlers and events under a name, to the proxies of
// every peer of the bus (electron-common-ipc's IpcBusService). Its methods
// are safe for concurrent use.
type Service struct {
	client *Client
	name   string
	opts   ServiceOptions
	slots  chan struct{} // one per running handler

	mu       sync.Mutex
	handlers map[string]CallHandler
	order    []string // handler names in registration order
	started  bool
	listenID ListenerID
	life     context.Context // the handlers' ctx, cancelled on Stop
	stop     context.CancelCauseFunc
}

// NewService returns a stopped service named name on client. When outer is
// not nil, each of its exported methods becomes a call handler (see
// FuncHandler for how arguments and results map); an outer value that is
// an EventSource gets its emit function. The built-in ServiceCallGetStatus
// handler is always registered.
func NewService(client *Client, name string, outer any, opts *ServiceOptions) (*Service, error) {
	s := &Service{client: client, name: name, handlers: make(map[string]CallHandler)}
	if opts != nil {
		s.opts = *opts
	}
	if s.opts.MaxConcurrentCalls <= 0 {
		s.opts.MaxConcurrentCalls = 1024
	}
	if s.opts.MethodName == nil {
		s.opts.MethodName = func(m string) string { return m }
	}
	s.slots = make(chan struct{}, s.opts.MaxConcurrentCalls)
	s.RegisterCallHandler(ServiceCallGetStatus, func(context.Context, *ServiceCall) (any, error) {
		return s.Status(), nil
	})
	if outer == nil {
		return s, nil
	}
	handlers, names, err := methodHandlers(outer, map[string]bool{"BindEmit": true})
	if err != nil {
		return nil, fmt.Errorf("ipcbus: service %q: %w", name, err)
	}
	for _, m := range names {
		s.RegisterCallHandler(s.opts.MethodName(m), handlers[m])
	}
	if src, ok := outer.(EventSource); ok {
		s.opts.SupportEventEmitter = true
		src.BindEmit(s.emitWrapper)
	}
	return s, nil
}

// Name returns the service's name.
func (s *Service) Name() string { return s.name }

// RegisterCallHandler sets the handler of calls to name, replacing any.
// Handlers registered after Start are callable at once but are listed in
// the status only from then on (the start event carried the old list).
func (s *Service) RegisterCallHandler(name string, h CallHandler) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.handlers[name]; !ok {
		s.order = append(s.order, name)
	}
	s.handlers[name] = h
}

// RegisterFunc registers a Go function as the handler of name; see
// FuncHandler for how it is called. It fails with ErrBadHandler.
func (s *Service) RegisterFunc(name string, fn any) error {
	h, err := FuncHandler(fn)
	if err != nil {
		return fmt.Errorf("ipcbus: service %q, handler %q: %w", s.name, name, err)
	}
	s.RegisterCallHandler(name, h)
	return nil
}

// UnregisterCallHandler removes the handler of name; later calls to it are
// rejected with "Function unknown !".
func (s *Service) UnregisterCallHandler(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.handlers[name]; !ok {
		return
	}
	delete(s.handlers, name)
	for i, n := range s.order {
		if n == name {
			s.order = append(s.order[:i:i], s.order[i+1:]...)
			break
		}
	}
}

// Status returns what the service says of itself to proxies.
func (s *Service) Status() ServiceStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.statusLocked()
}

func (s *Service) statusLocked() ServiceStatus {
	st := ServiceStatus{Started: s.started, CallHandlers: []string{}, SupportEventEmitter: s.started && s.opts.SupportEventEmitter}
	for _, n := range s.order {
		if !strings.HasPrefix(n, "_") {
			st.CallHandlers = append(st.CallHandlers, n)
		}
	}
	return st
}

// IsStarted reports whether the service is started.
func (s *Service) IsStarted() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.started
}

// Start listens for calls and sends the start event, with the status, to
// the proxies. Starting a started service sends the start event again.
// The client must be connected; ctx bounds the wait for room in its
// outbound queue.
func (s *Service) Start(ctx context.Context) error {
	s.mu.Lock()
	fresh := !s.started
	if fresh {
		s.started = true
		s.life, s.stop = context.WithCancelCause(context.Background())
		// The subscription travels ahead of the start event: the hub sees
		// the service listening when it sees it start.
		s.listenID = s.client.AddListener(ServiceCallChannel(s.name), s.onCall, WithKey(s))
	}
	st := s.statusLocked()
	s.mu.Unlock()
	if err := s.SendEvent(ctx, ServiceEventStart, st); err != nil {
		if fresh {
			s.halt()
		}
		return fmt.Errorf("ipcbus: start service %q: %w", s.name, err)
	}
	return nil
}

// Stop sends the stop event, stops listening for calls and cancels the
// ctx of the handlers still running. Stopping a stopped service does
// nothing. The service may be started again.
func (s *Service) Stop(ctx context.Context) error {
	if !s.IsStarted() {
		return nil
	}
	// The original sends the event first, then stops listening.
	err := s.SendEvent(ctx, ServiceEventStop, map[string]any{})
	s.halt()
	if err != nil {
		return fmt.Errorf("ipcbus: stop service %q: %w", s.name, err)
	}
	return nil
}

// halt stops listening and cancels the running handlers.
func (s *Service) halt() {
	s.mu.Lock()
	if !s.started {
		s.mu.Unlock()
		return
	}
	s.started = false
	id, stop := s.listenID, s.stop
	s.listenID, s.stop = 0, nil
	s.mu.Unlock()
	s.client.Off(ServiceCallChannel(s.name), id)
	stop(&ServiceStoppedError{Service: s.name})
}

// SendEvent sends the event name with args to the service's proxies,
// started or not. ctx bounds the wait for room in the outbound queue.
func (s *Service) SendEvent(ctx context.Context, name string, args ...any) error {
	msg := serviceEventOut{EventName: name, Args: orEmpty(args)}
	if err := s.client.Send(ctx, ServiceEventChannel(s.name), msg); err != nil {
		return fmt.Errorf("ipcbus: service %q event %q: %w", s.name, name, err)
	}
	return nil
}

// Emit sends event to the proxies as a wrapper event, as the outer value's
// emit does, when the service is started; when stopped it does nothing.
// Proxies emit it as event with args, on themselves and their Wrapper.
func (s *Service) Emit(ctx context.Context, event string, args ...any) error {
	if !s.IsStarted() {
		return nil
	}
	return s.SendEvent(ctx, ServiceWrapperEvent, event, orEmpty(args))
}

func (s *Service) emitWrapper(event string, args ...any) error {
	return s.Emit(context.Background(), event, args...)
}
