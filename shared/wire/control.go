package wire

import (
	"math"
	"unicode/utf8"
)

// Hand-written msgpack for the protocol's own structures (Hello, Welcome,
// PeerInfo, Peer, Process) and for strings, so that a client needs no
// reflection-based msgpack library: client.wasm stays small. They encode as
// msgpack maps keyed by the names in the structs' msgpack tags, and decode
// any map with those keys, skipping keys they do not know.

// AppendStr appends s as a msgpack str ("" included, unlike a frame's
// channel, which encodes "" as nil).
func AppendStr(b []byte, s string) []byte {
	if s == "" {
		return append(b, 0xa0)
	}
	return appendString(b, s)
}

// AppendInt appends a signed integer in its shortest msgpack form.
func AppendInt(b []byte, v int64) []byte {
	switch {
	case v >= 0:
		return appendUint(b, uint64(v))
	case v >= -32:
		return append(b, byte(v))
	case v >= math.MinInt8:
		return append(b, 0xd0, byte(v))
	case v >= math.MinInt16:
		return append(b, 0xd1, byte(v>>8), byte(v))
	case v >= math.MinInt32:
		return append(b, 0xd2, byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
	}
	u := uint64(v)
	return append(b, 0xd3, byte(u>>56), byte(u>>48), byte(u>>40), byte(u>>32), byte(u>>24), byte(u>>16), byte(u>>8), byte(u))
}

func appendBool(b []byte, v bool) []byte {
	if v {
		return append(b, 0xc3)
	}
	return append(b, 0xc2)
}

func appendMapLen(b []byte, n int) []byte {
	if n < 16 {
		return append(b, 0x80|byte(n))
	}
	return append(b, 0xde, byte(n>>8), byte(n))
}

// ReadStr decodes a msgpack str (nil reads as ""), checking it is UTF-8.
func ReadStr(b []byte) (string, []byte, error) {
	s, rest, err := readStr(b)
	if err != nil {
		return "", nil, err
	}
	if !utf8.Valid(s) {
		return "", nil, malformed("string is not UTF-8")
	}
	return string(s), rest, nil
}

// readInt decodes any msgpack integer that fits an int64.
func readInt(b []byte) (int64, []byte, error) {
	if len(b) == 0 {
		return 0, nil, malformed("want an integer, got end of value")
	}
	c := b[0]
	switch {
	case c >= 0xe0:
		return int64(int8(c)), b[1:], nil
	case c == 0xd0 || c == 0xd1 || c == 0xd2 || c == 0xd3:
		n := 1 << (c - 0xd0)
		v, ok := be(b, n)
		if !ok {
			return 0, nil, malformed("truncated integer")
		}
		shift := 64 - 8*n
		return int64(v<<shift) >> shift, b[1+n:], nil
	case c == 0xcb: // a float64 holding an integer, as JS numbers may be
		v, ok := be(b, 8)
		if f := math.Float64frombits(v); ok && f == math.Trunc(f) && math.Abs(f) < 1<<53 {
			return int64(f), b[9:], nil
		}
		return 0, nil, malformed("want an integer, got a float")
	}
	u, rest, err := readUint(b)
	if err != nil {
		return 0, nil, err
	}
	if u > math.MaxInt64 {
		return 0, nil, malformed("integer out of range")
	}
	return int64(u), rest, nil
}

func readBool(b []byte) (bool, []byte, error) {
	if len(b) > 0 {
		switch b[0] {
		case 0xc2, 0xc0:
			return false, b[1:], nil
		case 0xc3:
			return true, b[1:], nil
		}
	}
	return false, nil, malformed("want a boolean")
}

func readMapLen(b []byte) (int, []byte, error) {
	if len(b) == 0 {
		return 0, nil, malformed("want a map, got end of value")
	}
	c := b[0]
	switch {
	case c == 0xc0:
		return 0, b[1:], nil
	case c&0xf0 == 0x80:
		return int(c & 0x0f), b[1:], nil
	case c == 0xde:
		if v, ok := be(b, 2); ok {
			return int(v), b[3:], nil
		}
	case c == 0xdf:
		if v, ok := be(b, 4); ok {
			return int(v), b[5:], nil
		}
	default:
		return 0, nil, malformed("want a map, got code 0x%02x", c)
	}
	return 0, nil, malformed("truncated map header")
}

func skipValue(b []byte) ([]byte, error) {
	n, err := valueLen(b)
	if err != nil {
		return nil, err
	}
	return b[n:], nil
}

// readMap calls field for each key of the map at b; field decodes the
// value and returns what follows it, or returns (nil, nil) to skip it.
func readMap(b []byte, field func(key string, v []byte) ([]byte, error)) ([]byte, error) {
	n, rest, err := readMapLen(b)
	if err != nil {
		return nil, err
	}
	for i := 0; i < n; i++ {
		var key []byte
		if key, rest, err = readStr(rest); err != nil {
			return nil, err
		}
		next, err := field(string(key), rest)
		if err != nil {
			return nil, err
		}
		if next == nil {
			if next, err = skipValue(rest); err != nil {
				return nil, err
			}
		}
		rest = next
	}
	return rest, nil
}

// AppendProcess appends p, leaving out its zero optional fields.
func AppendProcess(b []byte, p Process) []byte {
	n := 2
	for _, set := range []bool{p.RID != 0, p.WCID != 0, p.FrameID != 0, p.IsMainFrame} {
		if set {
			n++
		}
	}
	b = appendMapLen(b, n)
	b = AppendStr(AppendStr(b, "type"), p.Type)
	b = AppendInt(AppendStr(b, "pid"), int64(p.PID))
	if p.RID != 0 {
		b = AppendInt(AppendStr(b, "rid"), int64(p.RID))
	}
	if p.WCID != 0 {
		b = AppendInt(AppendStr(b, "wcid"), int64(p.WCID))
	}
	if p.FrameID != 0 {
		b = AppendInt(AppendStr(b, "frameid"), int64(p.FrameID))
	}
	if p.IsMainFrame {
		b = appendBool(AppendStr(b, "isMainFrame"), true)
	}
	return b
}

// A field reads one map value into its destination and returns what
// follows it.
type field func(v []byte) ([]byte, error)

func strField(dst *string) field {
	return func(v []byte) (rest []byte, err error) {
		*dst, rest, err = ReadStr(v)
		return rest, err
	}
}

// intField reads an integer within [lo, hi]; nil reads as 0.
func intField(dst *int, name string, lo, hi int64) field {
	return func(v []byte) ([]byte, error) {
		if len(v) > 0 && v[0] == 0xc0 {
			*dst = 0
			return v[1:], nil
		}
		n, rest, err := readInt(v)
		if err != nil {
			return nil, err
		}
		if n < lo || n > hi {
			return nil, malformed("%s %d out of range", name, n)
		}
		*dst = int(n)
		return rest, nil
	}
}

func boolField(dst *bool) field {
	return func(v []byte) (rest []byte, err error) {
		*dst, rest, err = readBool(v)
		return rest, err
	}
}

func processField(dst *Process) field {
	return func(v []byte) ([]byte, error) { return readProcess(v, dst) }
}

// readFields reads the map at b, each key it knows with its field, and
// skips the others.
func readFields(b []byte, fields map[string]field) ([]byte, error) {
	return readMap(b, func(key string, v []byte) ([]byte, error) {
		if f := fields[key]; f != nil {
			return f(v)
		}
		return nil, nil
	})
}

func readProcess(b []byte, p *Process) ([]byte, error) {
	return readFields(b, map[string]field{
		"type":        strField(&p.Type),
		"pid":         intField(&p.PID, "pid", math.MinInt32, math.MaxInt32),
		"rid":         intField(&p.RID, "rid", math.MinInt32, math.MaxInt32),
		"wcid":        intField(&p.WCID, "wcid", math.MinInt32, math.MaxInt32),
		"frameid":     intField(&p.FrameID, "frameid", math.MinInt32, math.MaxInt32),
		"isMainFrame": boolField(&p.IsMainFrame),
	})
}

// DecodeProcess decodes a Process.
func DecodeProcess(b []byte) (Process, error) {
	var p Process
	return p, whole(readProcess(b, &p))
}

// AppendPeer appends p as {id, name, process}.
func AppendPeer(b []byte, p Peer) []byte {
	b = appendMapLen(b, 3)
	b = appendUint(AppendStr(b, "id"), p.ID)
	b = AppendStr(AppendStr(b, "name"), p.Name)
	return AppendProcess(AppendStr(b, "process"), p.Process)
}

// DecodePeer decodes a Peer.
func DecodePeer(b []byte) (Peer, error) {
	var p Peer
	return p, whole(readFields(b, map[string]field{
		"id": func(v []byte) (rest []byte, err error) {
			p.ID, rest, err = readUint(v)
			return rest, err
		},
		"name":    strField(&p.Name),
		"process": processField(&p.Process),
	}))
}

// AppendPeerInfo appends the body of peer.add.
func AppendPeerInfo(b []byte, p PeerInfo) []byte {
	b = appendMapLen(b, 2)
	b = AppendStr(AppendStr(b, "name"), p.Name)
	return AppendProcess(AppendStr(b, "process"), p.Process)
}

// DecodePeerInfo decodes the body of peer.add.
func DecodePeerInfo(b []byte) (PeerInfo, error) {
	var p PeerInfo
	return p, whole(readFields(b, map[string]field{
		"name":    strField(&p.Name),
		"process": processField(&p.Process),
	}))
}

// AppendHello appends the body of hello.
func AppendHello(b []byte, h Hello) []byte {
	b = appendMapLen(b, 3)
	b = AppendInt(AppendStr(b, "version"), int64(h.Version))
	b = AppendStr(AppendStr(b, "token"), h.Token)
	return AppendProcess(AppendStr(b, "process"), h.Process)
}

// DecodeHello decodes the body of hello.
func DecodeHello(b []byte) (Hello, error) {
	var h Hello
	return h, whole(readFields(b, map[string]field{
		"version": intField(&h.Version, "version", math.MinInt32, math.MaxInt32),
		"token":   strField(&h.Token),
		"process": processField(&h.Process),
	}))
}

// AppendWelcome appends the body of welcome.
func AppendWelcome(b []byte, w Welcome) []byte {
	b = appendMapLen(b, 4)
	b = AppendInt(AppendStr(b, "version"), int64(w.Version))
	b = AppendInt(AppendStr(b, "maxFrameBytes"), int64(w.MaxFrameBytes))
	b = AppendInt(AppendStr(b, "pingIntervalMs"), w.PingIntervalMS)
	return AppendStr(AppendStr(b, "hub"), w.Hub)
}

// DecodeWelcome decodes the body of welcome.
func DecodeWelcome(b []byte) (Welcome, error) {
	var w Welcome
	var ping int
	err := whole(readFields(b, map[string]field{
		"version":        intField(&w.Version, "version", math.MinInt32, math.MaxInt32),
		"maxFrameBytes":  intField(&w.MaxFrameBytes, "maxFrameBytes", 0, math.MaxInt32),
		"pingIntervalMs": intField(&ping, "pingIntervalMs", 0, math.MaxInt32),
		"hub":            strField(&w.Hub),
	}))
	w.PingIntervalMS = int64(ping)
	return w, err
}

// DecodeString decodes a body that is one string (a close reason, a
// rejection): a non-string value is an error.
func DecodeString(b []byte) (string, error) {
	if len(b) == 0 {
		return "", nil
	}
	s, rest, err := ReadStr(b)
	return s, whole(rest, err)
}

// whole checks that a decoder consumed its whole input.
func whole(rest []byte, err error) error {
	if err != nil {
		return err
	}
	if len(rest) != 0 {
		return malformed("%d bytes after the value", len(rest))
	}
	return nil
}
