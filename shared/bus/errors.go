package bus

import (
	"context"
	"errors"
	"fmt"

	"github.com/ipcbus/ipcbus/shared/wire"
)

// Errors of the client engine. Test for them with errors.Is.
var (
	// ErrClosed is returned by every call on a closed client or connection,
	// and settles the requests pending when it closed.
	ErrClosed = errors.New("ipcbus: closed")
	// ErrNotConnected is returned by a call that needs Connect first.
	ErrNotConnected = errors.New("ipcbus: not connected")
	// ErrTimeout is returned when a request or a connect runs out of time.
	// It also matches context.DeadlineExceeded and is a net.Error whose
	// Timeout() is true.
	ErrTimeout error = timeoutError{}
	// ErrNotAHub is returned by a connect that reached something other
	// than an ipcbus hub (an HTTP server, the hub's WebSocket port given as
	// a TCP address): its first bytes were no welcome.
	ErrNotAHub = errors.New("ipcbus: not an ipcbus hub")
	// ErrNoListener is returned at once by a request that no peer listens to.
	ErrNoListener = errors.New("ipcbus: no listener on the channel")
	// ErrResponderGone is returned when every peer that got a request left
	// before answering.
	ErrResponderGone = errors.New("ipcbus: responder disconnected")
	// ErrRejected matches every *RejectedError.
	ErrRejected = errors.New("ipcbus: request rejected")
	// ErrRefused is returned when the hub refused a request (its reason follows).
	ErrRefused = errors.New("ipcbus: refused by the hub")
	// ErrFrameTooLarge is returned, without sending anything, for a message
	// over the hub's frame limit. The connection stays open.
	ErrFrameTooLarge = wire.ErrFrameTooLarge
	// ErrSlowConsumer is reported through Options.OnError when events were
	// dropped because the dispatch queue was full.
	ErrSlowConsumer = errors.New("ipcbus: slow consumer, events dropped")
	// ErrDisconnected fails the requests pending when the connection to the
	// hub was lost (and the Flush calls, and answers to requests received
	// before). It is retryable: the connection is reconnecting, and the
	// same call made now is buffered and sent once it is back.
	ErrDisconnected = errors.New("ipcbus: disconnected from the hub")
	// ErrReconnectBufferFull is returned by a Send or Request made while
	// reconnecting once Options.ReconnectBufBytes are buffered.
	ErrReconnectBufferFull = errors.New("ipcbus: reconnect buffer full")
	// ErrMalformed is returned by a decode (Event.Args, Event.Values,
	// Response.Decode, PortMessage.Decode, a service call's args) of a
	// payload that is not valid msgpack, or that is refused by the limits
	// below (ErrTooDeep and ErrTooComplex match it too).
	ErrMalformed = wire.ErrMalformed
	// ErrTooDeep is returned by a decode of a payload nested deeper than
	// wire.MaxDepth (10,000, as the JS codec).
	ErrTooDeep = wire.ErrTooDeep
	// ErrTooComplex is returned by a decode into a generic value (any,
	// []any, map[string]any) of a payload that would take more than
	// wire.DecodeBudget of memory that way, as arrays of empty maps do;
	// decoding into typed values is not limited so.
	ErrTooComplex = wire.ErrTooComplex
	// ErrOutboundFull is returned by Send or Request when the outbound queue
	// is full and ctx is done before room is made.
	ErrOutboundFull = errors.New("ipcbus: outbound queue full")
)

// disconnectedError is how the engine fails calls cut by a lost
// connection: it matches ErrDisconnected and unwraps to the cause.
type disconnectedError struct{ cause error }

func (e *disconnectedError) Error() string        { return "ipcbus: disconnected: " + e.cause.Error() }
func (e *disconnectedError) Unwrap() error        { return e.cause }
func (e *disconnectedError) Is(target error) bool { return target == ErrDisconnected }

type timeoutError struct{}

func (timeoutError) Error() string   { return "ipcbus: timeout" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }
func (timeoutError) Is(target error) bool {
	return target == context.DeadlineExceeded
}

// RejectedError is a request's rejection by the peer that answered it.
type RejectedError struct {
	Channel string
	Message string // the responder's reason
	Peer    Peer   // the responder
}

func (e *RejectedError) Error() string {
	return fmt.Sprintf("ipcbus: request on %q rejected by peer %d (%s): %s", e.Channel, e.Peer.ID, e.Peer.Name, e.Message)
}

// Is makes errors.Is(err, ErrRejected) true.
func (e *RejectedError) Is(target error) bool { return target == ErrRejected }

// PanicError reports a listener that panicked; the client goes on.
type PanicError struct {
	Channel string
	Value   any
}

func (e *PanicError) Error() string {
	return fmt.Sprintf("ipcbus: listener on %q panicked: %v", e.Channel, e.Value)
}
