package main

import (
	"errors"
	"math"
	"sync"
	"unicode/utf8"

	"github.com/ipcbus/ipcbus/shared/bus"
	"github.com/ipcbus/ipcbus/shared/wire"
)

// Ops and records cross the wasm boundary as msgpack bytes, not as JS
// objects: every property syscall/js reads or writes costs a call into JS,
// a decoded property name and, for objects and strings, a reference with a
// finalizer (3-14 µs each in Chromium), where copying bytes costs one call.
// JavaScript encodes an op with web/src/codec.js and decodes a record with
// it, so both sides agree on msgpack as the payloads already do.

var errBadOp = errors.New("ipcbus: engine: malformed op")

var errBadArgs = errors.New("ipcbus: engine: a value must be one msgpack value in a Uint8Array")

// op is one engine op (web/README.md lists them), decoded from the msgpack
// map JavaScript posts. Absent fields are zero; has* tell the ones where
// absent differs from zero.
type op struct {
	op        string
	seq       float64
	hasSeq    bool
	client    int
	name      string
	process   bus.Process
	timeout   float64  // ms; ≤ 0: none
	channels  []string // connect: the channels the client listens to already
	channel   string
	to        bus.Target
	args      []byte // the msgpack array of the arguments, checked
	argsErr   error
	req       int
	value     []byte // one msgpack value (resolve), not yet checked
	hasValue  bool
	message   []byte // postMessage: one msgpack value; reject: the text
	ports     []int
	port      int
	data      []byte
	reconnect reconnectSpec // connect: the reconnect options (status.go)
}

// decodeOp decodes the msgpack map b. Byte fields alias b, which must be
// the op's own memory: the engine keeps them (a send's arguments stay
// queued until written).
func decodeOp(b []byte) (*op, error) {
	m := &op{}
	n, rest, err := readMapLen(b)
	if err != nil {
		return nil, errBadOp
	}
	for range n {
		var key []byte
		if key, rest, err = readKey(rest); err != nil {
			return nil, errBadOp
		}
		if isNil(rest) {
			rest = rest[1:] // undefined or null: as if absent
			continue
		}
		switch string(key) {
		case "op":
			m.op, rest, err = readName(rest)
		case "seq":
			m.seq, rest, err = wire.ReadFloat(rest)
			m.hasSeq = true
		case "client":
			m.client, rest, err = readIntField(rest)
		case "name":
			m.name, rest, err = wire.ReadStr(rest)
		case "process":
			m.process, rest, err = readProcess(rest)
		case "timeout":
			m.timeout, rest, err = wire.ReadFloat(rest)
		case "channels":
			m.channels, rest, err = readChannels(rest)
		case "channel":
			m.channel, rest, err = readChannel(rest)
		case "to":
			m.to, rest, err = readTarget(rest)
		case "args":
			m.args, m.argsErr, rest, err = readArgs(rest)
		case "req":
			m.req, rest, err = readIntField(rest)
		case "value":
			m.value, rest, err = readBinOrSkip(rest)
			m.hasValue = true
		case "message":
			m.message, rest, err = readBinOrSkip(rest)
		case "ports":
			m.ports, rest, err = readInts(rest)
		case "port":
			m.port, rest, err = readIntField(rest)
		case "data":
			m.data, rest, err = readBinOrSkip(rest)
		case "reconnect":
			m.reconnect, rest, err = readReconnect(rest)
		default:
			rest, err = wire.SkipValue(rest)
		}
		if err != nil {
			return nil, errBadOp
		}
	}
	return m, nil
}

func isNil(b []byte) bool { return len(b) > 0 && b[0] == 0xc0 }

// readKey reads a map key: a msgpack str, as bytes aliasing b.
func readKey(b []byte) ([]byte, []byte, error) {
	if len(b) == 0 || b[0]&0xe0 != 0xa0 && (b[0] < 0xd9 || b[0] > 0xdb) {
		return nil, nil, errBadOp
	}
	return wire.ReadBin(b)
}

// ops names the ops, so that reading one allocates nothing.
var ops = []string{"connect", "close", "listen", "unlisten", "send", "request", "resolve", "reject",
	"postMessage", "portPost", "portClose"}

func readName(b []byte) (string, []byte, error) {
	v, rest, err := readKey(b)
	if err != nil {
		return "", nil, err
	}
	for _, name := range ops {
		if string(v) == name {
			return name, rest, nil
		}
	}
	return string(v), rest, nil
}

// channels interns the channel names ops carry: a renderer uses few.
var (
	channelsMu sync.Mutex
	channels   = map[string]string{}
)

func readChannel(b []byte) (string, []byte, error) {
	v, rest, err := wire.ReadBin(b)
	if err != nil || len(b) == 0 || b[0] >= 0xc4 && b[0] <= 0xc6 {
		return "", nil, errBadOp // not a str
	}
	s, ok := internChannel(v)
	if !ok {
		return "", nil, errBadOp
	}
	return s, rest, nil
}

// internChannel returns the channel named by the UTF-8 bytes v, interned;
// ok is false when v is not UTF-8.
func internChannel(v []byte) (string, bool) {
	channelsMu.Lock()
	defer channelsMu.Unlock()
	if s, ok := channels[string(v)]; ok {
		return s, true
	}
	if !utf8.Valid(v) {
		return "", false
	}
	s := string(v)
	if len(channels) >= 1024 {
		clear(channels)
	}
	channels[s] = s
	return s, true
}

func readMapLen(b []byte) (int, []byte, error) {
	if len(b) == 0 {
		return 0, nil, errBadOp
	}
	switch c := b[0]; {
	case c&0xf0 == 0x80:
		return int(c & 0x0f), b[1:], nil
	case c == 0xde && len(b) >= 3:
		return int(b[1])<<8 | int(b[2]), b[3:], nil
	case c == 0xdf && len(b) >= 5:
		return int(b[1])<<24 | int(b[2])<<16 | int(b[3])<<8 | int(b[4]), b[5:], nil
	}
	return 0, nil, errBadOp
}

// readIntField reads a JS number that should be an integer (a float is
// truncated, as js.Value.Int does).
func readIntField(b []byte) (int, []byte, error) {
	f, rest, err := wire.ReadFloat(b)
	if err != nil || math.IsNaN(f) || math.Abs(f) > 1<<53 {
		return 0, nil, errBadOp
	}
	return int(f), rest, nil
}

// readTruthy reads a flag as JavaScript would test it: a boolean, or any
// value (a non-zero number, a string...) counts as set except false, 0 and "".
func readTruthy(b []byte) (bool, []byte, error) {
	if v, rest, err := wire.ReadBool(b); err == nil {
		return v, rest, nil
	}
	if f, rest, err := wire.ReadFloat(b); err == nil {
		return f != 0 && !math.IsNaN(f), rest, nil
	}
	rest, err := wire.SkipValue(b)
	return !(len(b) > 0 && b[0] == 0xa0), rest, err
}

// readBinOrSkip reads a Uint8Array (a msgpack bin) or a string; any other
// value reads as nil.
func readBinOrSkip(b []byte) ([]byte, []byte, error) {
	if v, rest, err := wire.ReadBin(b); err == nil {
		return v, rest, nil
	}
	rest, err := wire.SkipValue(b)
	return nil, rest, err
}

func readInts(b []byte) ([]int, []byte, error) {
	n, rest, err := wire.ReadArrayLen(b)
	if err != nil {
		rest, err = wire.SkipValue(b) // not an array: none
		return nil, rest, err
	}
	if n > len(rest) { // each element is a byte at least: a count its bytes cannot carry
		return nil, nil, errBadOp
	}
	out := make([]int, n)
	for i := range out {
		if out[i], rest, err = readIntField(rest); err != nil {
			return nil, nil, err
		}
	}
	return out, rest, nil
}

func readProcess(b []byte) (bus.Process, []byte, error) {
	rest, err := wire.SkipValue(b)
	if err != nil {
		return bus.Process{}, nil, err
	}
	if b[0]&0xf0 != 0x80 && b[0] != 0xde && b[0] != 0xdf {
		return bus.Process{}, rest, nil // not an object: no process
	}
	p, err := wire.DecodeProcess(b[:len(b)-len(rest)])
	return p, rest, err
}

// readTarget reads {peer: id} or {process: {...}}; anything else is every
// listener.
func readTarget(b []byte) (bus.Target, []byte, error) {
	var t bus.Target
	n, rest, err := readMapLen(b)
	if err != nil {
		rest, err = wire.SkipValue(b)
		return t, rest, err
	}
	for range n {
		var key string
		if key, rest, err = wire.ReadStr(rest); err != nil {
			return t, nil, err
		}
		switch {
		case key == "peer" && !isNil(rest):
			var id float64
			if id, rest, err = wire.ReadFloat(rest); err == nil && id > 0 {
				t.Peer = uint64(id)
			}
		case key == "process" && !isNil(rest):
			var p bus.Process
			if p, rest, err = readProcess(rest); err == nil {
				t.Process = &p
			}
		default:
			rest, err = wire.SkipValue(rest)
		}
		if err != nil {
			return t, nil, err
		}
	}
	if t.Peer != 0 {
		t.Process = nil
	}
	return t, rest, nil
}

// readChannels reads [channel, ...].
func readChannels(b []byte) ([]string, []byte, error) {
	n, rest, err := wire.ReadArrayLen(b)
	if err != nil {
		return nil, nil, err
	}
	if n > len(rest) { // each element is a byte at least: a count its bytes cannot carry
		return nil, nil, errBadOp
	}
	out := make([]string, 0, n)
	for range n {
		var ch string
		if ch, rest, err = readChannel(rest); err != nil {
			return nil, nil, err
		}
		out = append(out, ch)
	}
	return out, rest, nil
}

// readArgs reads the arguments: the msgpack array of them in one
// Uint8Array (as the preload packs them), or an array of Uint8Arrays, each
// one msgpack value. A value that is not one msgpack value is errBadArgs,
// reported by the op (not a malformed op).
func readArgs(b []byte) (args []byte, bad error, rest []byte, err error) {
	if v, r, err := wire.ReadBin(b); err == nil {
		if n, err := wire.ValueLen(v); err != nil || n != len(v) || !isArray(v) {
			return nil, errBadArgs, r, nil
		}
		return v, nil, r, nil
	}
	n, rest, err := wire.ReadArrayLen(b)
	if err != nil {
		rest, err = wire.SkipValue(b)
		return nil, errBadArgs, rest, err
	}
	args = wire.AppendArrayLen(nil, n)
	for range n {
		var v []byte
		if v, rest, err = wire.ReadBin(rest); err != nil {
			if rest, err = wire.SkipValue(rest); err != nil {
				return nil, nil, nil, err
			}
			bad = errBadArgs
			continue
		}
		if k, err := wire.ValueLen(v); err != nil || k != len(v) {
			bad = errBadArgs
		}
		args = append(args, v...)
	}
	if bad != nil {
		return nil, bad, rest, nil
	}
	return args, nil, rest, nil
}

func isArray(b []byte) bool {
	return len(b) > 0 && (b[0]&0xf0 == 0x90 || b[0] == 0xdc || b[0] == 0xdd)
}
