package main

import (
	"testing"

	"github.com/ipcbus/ipcbus/shared/wire"
)

// FuzzDecodeOp checks that no op JavaScript may post makes the engine's op
// decoder panic, and that the args of an op it accepts are one complete
// msgpack array (what the hub would refuse otherwise).
func FuzzDecodeOp(f *testing.F) {
	key := func(b []byte, k string) []byte { return wire.AppendStr(b, k) }
	send := append(key(wire.AppendStr(key(wire.AppendStr(key([]byte{0x84}, "op"), "send"), "client"), "c"), "channel"), 0xa1, 'x')
	send = append(key(send, "args"), 0xc4, 3, 0x92, 0x01, 0xc0)
	f.Add(send)
	f.Add(append(key([]byte{0x82}, "op"), append(wire.AppendStr(nil, "connect"), append(key(nil, "channels"), 0x92, 0xa1, 'x', 0xa1, 'y')...)...))
	f.Add(append(key([]byte{0x81}, "args"), 0x92, 0xc4, 1, 0x01, 0xc4, 2, 0x91, 0xc0))
	f.Add(append(key([]byte{0x81}, "to"), 0x81, 0xa7, 'p', 'r', 'o', 'c', 'e', 's', 's', 0x81, 0xa3, 'p', 'i', 'd', 0x05))
	f.Add(append(key([]byte{0x81}, "ports"), 0x93, 0x01, 0x02, 0xcb, 0x40, 0, 0, 0, 0, 0, 0, 0))
	f.Add(append(key(append(key([]byte{0x81}, "reconnect"), 0x83), "reconnect"), append([]byte{0xc2}, append(key(append(key(nil, "reconnectWait"), 0x14), "maxReconnects"), 0xff)...)...))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := decodeOp(b)
		if err != nil {
			return
		}
		if m.args != nil {
			if n, err := wire.ValueLen(m.args); err != nil || n != len(m.args) || !isArray(m.args) {
				t.Fatalf("accepted args %x that are not one msgpack array: %v", m.args, err)
			}
		}
	})
}
