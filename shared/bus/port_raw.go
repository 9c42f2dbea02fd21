package bus

// Raw returns the message as received: one msgpack value. Bindings that
// decode values themselves (client.wasm) pass it on as it is.
func (m *PortMessage) Raw() []byte { return m.data }
