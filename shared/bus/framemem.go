package bus

import "sync/atomic"

// frameMem is the memory of a large message's frame when the transport
// read it into a pooled buffer (stream.Pool): it goes back to the pool
// once the message's listeners have returned, unless one of them kept it
// (Event.Keep), in which case it is left to the collector.
type frameMem struct {
	ref  interface{ Release() }
	kept atomic.Bool
}

// done gives m back after the listeners ran. m may be nil.
func (m *frameMem) done() {
	if m != nil && !m.kept.Load() {
		m.ref.Release()
	}
}
