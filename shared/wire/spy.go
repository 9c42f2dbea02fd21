package wire

import "time"

// ChannelSpy is the channel of the hub's tap. A peer that subscribes to it
// and sends a request on it with a SpyFilter (or none) as its argument
// becomes a spy: the hub answers true, then sends it one message on this
// channel, addressed to it alone, for each SpyEvent that passes the filter.
// Asking again replaces the filter; unsubscribing from the channel, leaving
// or disconnecting ends the spy. A spy that falls behind is closed as a
// slow consumer (CloseSlowConsumer); the bus does not wait for it.
const ChannelSpy = "/electron-common-ipc/spy"

// SpyFilter chooses the events a spy gets. An empty list lets every event
// through. Channels are patterns over "/"-separated names: "*" stands for
// one segment (and, inside a segment, for any run of characters), "**" for
// any number of segments; "/app/**" matches "/app/a" and "/app/a/b". Peers
// are peer names or decimal ids; an event passes when its sender or one of
// its receivers is among them.
type SpyFilter struct {
	Channels []string `msgpack:"channels,omitempty" json:"channels,omitempty"`
	Peers    []string `msgpack:"peers,omitempty" json:"peers,omitempty"`
}

// Limits of a SpyFilter; the hub refuses one over them.
const (
	MaxSpyPatterns = 64
	MaxSpyPeers    = 64
)

// Kinds of SpyEvent.
const (
	SpySend         = "send"          // a send: From to To on Channel
	SpyRequest      = "request"       // a request: From to the peers that got it
	SpyResponse     = "response"      // its outcome: From (the answerer) to To (the requester), Status, LatencyMS
	SpyPortMessage  = "port.message"  // a message on a relayed port, between two connections
	SpyPeerJoin     = "peer.join"     // From joined the bus
	SpyPeerLeave    = "peer.leave"    // From left it
	SpySlowConsumer = "slow-consumer" // connection Conn, with peers To, was closed as a slow consumer
)

// SpyEvent is one thing the hub saw, as a spy receives it.
type SpyEvent struct {
	Time    time.Time `msgpack:"time" json:"time"`
	Kind    string    `msgpack:"kind" json:"kind"`
	Channel string    `msgpack:"channel,omitempty" json:"channel,omitempty"`
	// From is the sender; for a port message only its Process is known.
	From *Peer `msgpack:"from,omitempty" json:"from,omitempty"`
	// To are the peers the message reached (every listening peer of each
	// connection it went to); for a port message only their Process is known.
	To []Peer `msgpack:"to,omitempty" json:"to,omitempty"`
	// Size is the payload's size in bytes (the msgpack args or value).
	Size int `msgpack:"size,omitempty" json:"size,omitempty"`
	// Preview is a short rendering of the payload, cut at SpyPreviewBytes of
	// input and a few levels of nesting.
	Preview string `msgpack:"preview,omitempty" json:"preview,omitempty"`
	// Request is the hub's id of a request, the same on its response.
	Request uint64 `msgpack:"request,omitempty" json:"request,omitempty"`
	// Status is a response's outcome: "resolved", "rejected", "no-listener",
	// "responder-gone" or "refused".
	Status string `msgpack:"status,omitempty" json:"status,omitempty"`
	// LatencyMS is the time from a request to its response, in milliseconds
	// (0 when the spy joined after the request).
	LatencyMS float64 `msgpack:"latencyMs,omitempty" json:"latencyMs,omitempty"`
	// Conn is the connection of a port message's sender or of a slow consumer.
	Conn   uint64 `msgpack:"conn,omitempty" json:"conn,omitempty"`
	Reason string `msgpack:"reason,omitempty" json:"reason,omitempty"`
}

// SpyPreviewBytes is how much of a payload a SpyEvent's preview reads.
const SpyPreviewBytes = 256
