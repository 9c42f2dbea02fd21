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
