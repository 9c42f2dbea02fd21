package wire

import (
	"fmt"
	"strconv"
)

// CloseCode says why a connection was closed. Codes live in the WebSocket
// private range 4000–4999 and are the same on every transport.
type CloseCode uint16

// Close codes of protocol v1.
const (
	CloseNormal           CloseCode = 4000 // the peer closed on purpose
	CloseShutdown         CloseCode = 4001 // the hub is shutting down
	CloseProtocolError    CloseCode = 4002 // malformed frame, unknown kind, wrong direction
	CloseUnauthorized     CloseCode = 4003 // bad token or origin
	CloseVersion          CloseCode = 4004 // protocol version not spoken
	CloseHandshakeTimeout CloseCode = 4005 // no hello in time
	CloseSlowConsumer     CloseCode = 4006 // outbound queue over its limit
	CloseFrameTooLarge    CloseCode = 4007 // frame over the hub's MaxFrameBytes
	CloseStale            CloseCode = 4008 // pings went unanswered
	ClosePolicy           CloseCode = 4009 // sender spoofing, invalid channel or name
	CloseLimit            CloseCode = 4010 // too many peers, subscriptions or requests
	CloseInternal         CloseCode = 4011 // the hub failed
)

var closeNames = map[CloseCode]string{
	CloseNormal: "normal", CloseShutdown: "shutdown", CloseProtocolError: "protocol error",
	CloseUnauthorized: "unauthorized", CloseVersion: "unsupported version",
	CloseHandshakeTimeout: "handshake timeout", CloseSlowConsumer: "slow consumer",
	CloseFrameTooLarge: "frame too large", CloseStale: "stale connection",
	ClosePolicy: "policy violation", CloseLimit: "limit exceeded", CloseInternal: "internal error",
}

func (c CloseCode) String() string {
	if n, ok := closeNames[c]; ok {
		return n
	}
	return "close(" + strconv.Itoa(int(c)) + ")"
}

// Reconnect reports whether a client closed with c should try again later.
// Codes that describe a fault of the client itself (a bad frame, a bad
// token) are terminal: reconnecting would fail the same way.
func (c CloseCode) Reconnect() bool {
	switch c {
	case CloseShutdown, CloseHandshakeTimeout, CloseSlowConsumer, CloseStale, CloseInternal, CloseLimit:
		return true
	}
	return false
}

// CloseError is the reason a connection was closed, as the closing side gave
// it. Test for it with errors.As.
type CloseError struct {
	Code   CloseCode
	Reason string
}

func (e *CloseError) Error() string {
	if e.Reason == "" {
		return fmt.Sprintf("ipcbus: connection closed: %s (%d)", e.Code, uint16(e.Code))
	}
	return fmt.Sprintf("ipcbus: connection closed: %s (%d): %s", e.Code, uint16(e.Code), e.Reason)
}
