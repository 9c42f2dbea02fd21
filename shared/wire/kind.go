package wire

import "strconv"

// Kind is a frame kind.
type Kind uint8

// Frame kinds of protocol v1. The direction each travels is noted; a frame
// arriving in the wrong direction is a protocol error.
const (
	KindHello       Kind = 1  // client → hub: body Hello
	KindWelcome     Kind = 2  // hub → client: id = connection id, body Welcome
	KindPeerAdd     Kind = 3  // client → hub: id = handle, body PeerInfo
	KindPeerAdded   Kind = 4  // hub → client: id = handle, peer = new id, body Peer, or code != 0 and body = reason
	KindPeerRemove  Kind = 5  // client → hub: peer
	KindSubscribe   Kind = 6  // client → hub: channel, peer
	KindUnsubscribe Kind = 7  // client → hub: channel, peer
	KindSend        Kind = 8  // client → hub: channel, peer, to, body = args array
	KindRequest     Kind = 9  // client → hub: channel, peer, to, id = client request id, body = args array
	KindResponse    Kind = 10 // client → hub: peer, id = hub request id, code = Status, body = value
	//                           hub → client: channel, sender, id = client request id, code = Status, body = value
	KindCancel  Kind = 11 // client → hub: id = client request id (the requester gave up)
	KindMessage Kind = 12 // hub → client: channel, to (0 = every local listener), id (hub request id, 0 for a send), sender, body = args array
	KindPing    Kind = 13 // either way: id = nonce
	KindPong    Kind = 14 // either way: id = nonce of the ping
	KindClose   Kind = 15 // either way: code = CloseCode, body = reason string
	// KindPortMessage carries one message on a relayed port: id = the port
	// (as the receiving side names it), body = the message, ports = ports it transfers.
	KindPortMessage Kind = 16 // either way
	KindPortClose   Kind = 17 // either way: id = the port; its other end is closed
)

// PortRelayBit is set in the ids the hub gives relayed ports; ids a client
// chooses for its own ports must leave it clear.
const PortRelayBit = 1 << 63

var kindNames = [...]string{
	KindHello: "hello", KindWelcome: "welcome", KindPeerAdd: "peer.add", KindPeerAdded: "peer.added",
	KindPeerRemove: "peer.remove", KindSubscribe: "subscribe", KindUnsubscribe: "unsubscribe",
	KindSend: "send", KindRequest: "request", KindResponse: "response", KindCancel: "cancel",
	KindMessage: "message", KindPing: "ping", KindPong: "pong", KindClose: "close",
	KindPortMessage: "port.message", KindPortClose: "port.close",
}

// Valid reports whether k is a kind of protocol v1.
func (k Kind) Valid() bool { return int(k) < len(kindNames) && kindNames[k] != "" }

func (k Kind) String() string {
	if k.Valid() {
		return kindNames[k]
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Status is the outcome carried by a response frame.
type Status uint16

// Response statuses. StatusResolved and StatusRejected come from the peer
// that answered; the others are the hub's own answers.
const (
	StatusResolved      Status = 0 // body is the payload
	StatusRejected      Status = 1 // body is the responder's message (a string)
	StatusNoListener    Status = 2 // no peer listens on the channel (or is the target)
	StatusResponderGone Status = 3 // every peer that got the request has left
	StatusRefused       Status = 4 // the hub refused the request; body says why
)
