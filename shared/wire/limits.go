package wire

import "time"

// Version is the protocol version this package speaks.
const Version = 1

// Subprotocol is the WebSocket subprotocol of protocol v1.
const Subprotocol = "ipcbus.v1"

// Defaults and hard limits of protocol v1.
const (
	// DefaultMaxFrameBytes is the largest frame a hub accepts unless
	// configured otherwise. The hub announces its limit in Welcome.
	DefaultMaxFrameBytes = 16 << 20
	// FrameOverheadBytes is what a hub may add to a client's frame when it
	// delivers it (the sender's identity): a client reads frames up to the
	// hub's MaxFrameBytes plus this.
	FrameOverheadBytes = 64 << 10
	// MaxChannelBytes is the longest channel name, in bytes.
	MaxChannelBytes = 1024
	// MaxNameBytes is the longest peer name, in bytes.
	MaxNameBytes = 1024
	// MaxDepth is how deep a payload's values may nest, counting the value
	// itself: a scalar is at depth 1, an array's elements at 2. It is the
	// limit of every decoder of peer payloads: CheckValue in Go (hub, engine,
	// CLI) and maxDepth in web/src/codec.js. Deeper values are refused with
	// ErrTooDeep instead of overflowing a recursive decoder's stack.
	MaxDepth = 10000
	// DecodeBudgetPerByte bounds a generic decode of a payload (into any) at
	// this many bytes of heap per byte received, plus 64 KiB (see
	// DecodeBudget); a payload of empty maps or arrays asks for more.
	DecodeBudgetPerByte = 32
	// MaxHubArgsBytes is the largest args array the hub parses: those of
	// its own queries (serviceAvailable) and of services' events (to learn
	// that one started or stopped). A larger query is refused; a larger
	// event is delivered without being looked at.
	MaxHubArgsBytes = 64 << 10
	// DefaultHandshakeTimeout is how long a hub waits for hello.
	DefaultHandshakeTimeout = 5 * time.Second
	// DefaultRequestTimeout is the deadline of a request made without one
	// (electron-common-ipc's IPC_BUS_TIMEOUT).
	DefaultRequestTimeout = 2000 * time.Millisecond
)

// Well-known channels answered by the hub itself.
const (
	ChannelQueryState       = "/electron-common-ipc/queryState"
	ChannelServiceAvailable = "/electron-common-ipc/serviceAvailable"
)
