//go:build !js

package bus

import (
	"errors"
	"fmt"

	"github.com/ipcbus/ipcbus/shared/wire"
	"github.com/vmihailenco/msgpack/v5"
)

// The service protocol of electron-common-ipc: see package wire.
const (
	ServiceEventStart    = wire.ServiceEventStart
	ServiceEventStop     = wire.ServiceEventStop
	ServiceWrapperEvent  = wire.ServiceWrapperEvent
	ServiceCallGetStatus = wire.ServiceCallGetStatus
)

// ServiceCallChannel is the channel a service named name answers calls on.
func ServiceCallChannel(name string) string { return wire.ServiceCallChannel(name) }

// ServiceEventChannel is the channel a service named name sends events on.
func ServiceEventChannel(name string) string { return wire.ServiceEventChannel(name) }

// ServiceStatus is what a service says of itself (see wire.ServiceStatus).
type ServiceStatus = wire.ServiceStatus

// Errors of services and proxies. Test for them with errors.Is.
var (
	// ErrServiceStopped matches every *ServiceStoppedError.
	ErrServiceStopped = errors.New("ipcbus: service stopped")
	// ErrCallQueueFull is returned by a call made while the service is not
	// started and ServiceProxyOptions.MaxQueuedCalls calls already wait.
	ErrCallQueueFull = errors.New("ipcbus: too many calls waiting for the service to start")
	// ErrServiceBusy is the rejection of a call that arrives while a service
	// runs ServiceOptions.MaxConcurrentCalls handlers already.
	ErrServiceBusy = errors.New("ipcbus: service busy")
	// ErrBadHandler is returned when a function or method cannot be a call
	// handler (see FuncHandler).
	ErrBadHandler = errors.New("ipcbus: not a valid call handler")
)

// ServiceStoppedError fails the calls of a proxy that were under way when
// its service stopped. Its message is the original's:
// "Service '<name>' stopped".
type ServiceStoppedError struct{ Service string }

func (e *ServiceStoppedError) Error() string { return fmt.Sprintf("Service '%s' stopped", e.Service) }

// Is makes errors.Is(err, ErrServiceStopped) true.
func (e *ServiceStoppedError) Is(target error) bool { return target == ErrServiceStopped }

// unknownHandlerMessage is the original's rejection of a call to a handler
// that is not registered.
const unknownHandlerMessage = "Function unknown !"

// serviceCallOut is the first argument of a call, as a proxy sends it.
type serviceCallOut struct {
	HandlerName string `msgpack:"handlerName"`
	Args        []any  `msgpack:"args"`
}

// serviceCallIn is the first argument of a call, as a service reads it:
// args stay raw until the handler decodes them.
type serviceCallIn struct {
	HandlerName string             `msgpack:"handlerName"`
	Args        msgpack.RawMessage `msgpack:"args"`
}

// serviceEventOut is the first argument of an event, as a service sends it.
type serviceEventOut struct {
	EventName string `msgpack:"eventName"`
	Args      []any  `msgpack:"args"`
}

// serviceEventIn is the first argument of an event, as a proxy reads it.
type serviceEventIn struct {
	EventName string             `msgpack:"eventName"`
	Args      msgpack.RawMessage `msgpack:"args"`
}

// emptyArgs is the msgpack encoding of an empty array.
var emptyArgs = []byte{0x90}

// argsArray returns raw, a msgpack array, or an empty array when raw is
// missing or nil (JS undefined or null args).
func argsArray(raw []byte) []byte {
	if len(raw) == 0 || raw[0] == 0xc0 {
		return emptyArgs
	}
	return raw
}

// orEmpty returns args, or an empty slice so that it encodes as [] (JS
// rest parameters are always an array) rather than nil.
func orEmpty(args []any) []any {
	if args == nil {
		return []any{}
	}
	return args
}

// splitWrapperArgs splits the args of a wrapper event, [eventName,
// argsArray], into the name and the raw array.
func splitWrapperArgs(raw []byte) (string, []byte, error) {
	n, rest, err := wire.ReadArrayLen(argsArray(raw))
	if err != nil {
		return "", nil, fmt.Errorf("ipcbus: wrapper event: %w", err)
	}
	if n < 1 {
		return "", nil, errors.New("ipcbus: wrapper event without a name")
	}
	name, rest, err := wire.ReadStr(rest)
	if err != nil {
		return "", nil, fmt.Errorf("ipcbus: wrapper event name: %w", err)
	}
	if n < 2 {
		return name, emptyArgs, nil
	}
	size, err := wire.ValueLen(rest)
	if err != nil {
		return "", nil, fmt.Errorf("ipcbus: wrapper event args: %w", err)
	}
	return name, argsArray(rest[:size:size]), nil
}

// encodeList encodes args as a msgpack array.
func encodeList(args ...any) []byte {
	b, err := encodeArgs(nil, args)
	if err != nil {
		return emptyArgs
	}
	return b
}
