package bus

// Event is what a listener receives: the channel, the peer that sent the
// message and its arguments. Request is set when the message is a request.
// An Event and the bytes it holds are the listener's to keep: the engine
// never reuses them (so a []byte decoded by Args may alias them).
type Event struct {
	Channel string
	Sender  Peer
	Request *Request
	// To is the local peer the message was addressed to (SendTo/RequestTo),
	// or zero when it went to every listener.
	To uint64
	// Ports are the ports transferred with the message (PostMessage).
	Ports []*Port
	args  []byte
}

// RawArgs returns the msgpack array of arguments as received.
func (e *Event) RawArgs() []byte { return e.args }
