package bus

// Event is what a listener receives: the channel, the peer that sent the
// message and its arguments. Request is set when the message is a request.
// An Event is only valid during the listener call that received it; copy
// what you keep (Args decodes into fresh values).
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
