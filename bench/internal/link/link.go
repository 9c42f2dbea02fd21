// Package link puts the systems the bench compares behind one small
// interface, so that the same driver code measures each of them: ipcbus
// (the library under test), NATS, and raw length-prefixed frames.
package link

import "context"

// Msg is one message as a listener gets it. Data is only valid during the
// listener call. Respond is set when the message is a request.
type Msg struct {
	Data    []byte
	Respond func(p []byte) error
}

// Link is one client connection of a system under test.
type Link interface {
	// Listen calls fn for each message on ch, one at a time, until stop.
	Listen(ch string, fn func(Msg)) (stop func(), err error)
	// Publish sends p on ch. Raw links route by dst (worker ids); the
	// buses route by channel and ignore it. It may buffer: see Flush.
	Publish(ch string, dst []int, p []byte) error
	// Flush pushes out what Publish buffered. The buses flush by
	// themselves; for them it does nothing.
	Flush() error
	// Request sends p on ch as a request and returns the answer.
	Request(ctx context.Context, ch string, dst int, p []byte) ([]byte, error)
	// Sync returns once the Listens made before it are in force at the hub.
	Sync(ctx context.Context) error
	// Dropped counts messages the client library dropped (slow consumer).
	Dropped() uint64
	Close() error
}

// Dialer opens a new link.
type Dialer func(ctx context.Context) (Link, error)

// Valued is a link that sends and receives values (strings, objects,
// several arguments), not only bytes: the big-payload scenario's kinds.
// Only ipcbus's Go client has it (NATS and raw frames carry bytes).
type Valued interface {
	// SendValues sends args on ch as one message.
	SendValues(ch string, args ...any) error
	// ListenValues calls fn for each message on ch with a function that
	// decodes its arguments into dst, until stop.
	ListenValues(ch string, fn func(decode func(dst ...any) error)) (stop func(), err error)
}
