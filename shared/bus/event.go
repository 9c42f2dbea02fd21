package bus

// Event is what a listener receives: the channel, the peer that sent the
// message and its arguments. Request is set when the message is a request.
//
// The bytes an Event holds (RawArgs, and each []byte that Args decodes,
// which aliases them) are valid until the listener returns: the engine may
// read a later message into the same memory. A listener that keeps them
// past its call (hands them to a goroutine, stores them) calls Keep first.
// Everything else Args decodes (strings, numbers, structs) is a copy, and
// the Event itself, its Request and its Ports are always the listener's to
// keep.
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
	mem   *frameMem // args' memory, when it goes back to a pool after the listeners
}

// RawArgs returns the msgpack array of arguments as received, valid until
// the listener returns unless it calls Keep.
func (e *Event) RawArgs() []byte { return e.args }

// Keep makes the Event's bytes (see Event) the listener's for good: their
// memory is not reused once the listener returns. It costs nothing but
// that memory: messages of 64 KiB or less are in memory of their own
// anyway, and a large one kept is left to the collector instead of
// being reused.
func (e *Event) Keep() {
	if e.mem != nil {
		e.mem.kept.Store(true)
	}
}
