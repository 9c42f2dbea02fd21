// Package wire is ipcbus protocol v1: frame kinds, the frame layout, its
// msgpack encoding, length-prefixed framing for byte streams, size limits
// and close codes. It does no I/O of its own and compiles for every target
// (native and GOOS=js GOARCH=wasm).
//
// # Frame layout
//
// Every frame is one msgpack array of nine elements:
//
//	[kind, channel, peer, to, id, code, sender, ports, body]
//
// kind is a Kind; channel a string (or nil); peer the id of the peer the
// frame is about (the sender for client frames); to a Target (nil, a peer id,
// or a process map); id a request id, a ping nonce or a handle; code a
// response status or a close code; sender the hub-encoded Peer that sent a
// delivered message or response (raw msgpack, nil in client frames); ports
// the ids of the MessagePorts a send or message transfers (nil for none); body the
// payload: the args array of a send or request, the value of a response, or a
// control object (Hello, Welcome, PeerInfo, CloseInfo).
//
// The body comes last so that a router can decode only the header and forward
// the body bytes it received untouched. On a byte stream each frame is
// preceded by its length as a 4-byte big-endian integer; on a WebSocket it is
// one binary message (subprotocol "ipcbus.v1").
package wire

// # MessagePorts
//
// A send may transfer ports, named by ids its connection chose (below
// PortRelayBit). A message delivered back to the sender's own connection
// carries those ids unchanged: the client hands its real port over. A
// message delivered to another connection carries ids the hub chose (with
// PortRelayBit set): the hub relays port.message and port.close frames
// between the two connections, each naming the port by its own id.
