//go:build js && wasm

package main

import (
	"encoding/binary"
	"math"

	"github.com/ipcbus/ipcbus/shared/bus"
	"github.com/ipcbus/ipcbus/shared/wire"
)

// rec builds a record for JavaScript: a msgpack map.
type rec []byte

func (r rec) mapLen(n int) rec {
	if n < 16 {
		return append(r, 0x80|byte(n))
	}
	return append(r, 0xde, byte(n>>8), byte(n))
}

func (r rec) key(k string) rec        { return wire.AppendStr(r, k) }
func (r rec) str(k, v string) rec     { return wire.AppendStr(r.key(k), v) }
func (r rec) int(k string, v int) rec { return wire.AppendInt(r.key(k), int64(v)) }
func (r rec) bin(k string, v []byte) rec {
	return wire.AppendBin(r.key(k), v)
}
func (r rec) peer(k string, p bus.Peer) rec { return wire.AppendPeer(r.key(k), p) }

// num appends a JS number: an integer when it is one.
func (r rec) num(k string, v float64) rec {
	r = r.key(k)
	if v == math.Trunc(v) && math.Abs(v) < 1<<53 {
		return wire.AppendInt(r, int64(v))
	}
	return binary.BigEndian.AppendUint64(append(r, 0xcb), math.Float64bits(v))
}

// errorRec appends {code, message, sender?} for err under key k.
func (r rec) err(k string, err error) rec {
	code, msg, sender := describeError(err)
	r = r.key(k)
	if sender != nil {
		return r.mapLen(3).str("code", code).str("message", msg).peer("sender", *sender)
	}
	return r.mapLen(2).str("code", code).str("message", msg)
}
