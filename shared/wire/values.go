package wire

import (
	"encoding/binary"
	"math"
)

// Reflection-free msgpack for the scalar values payloads mostly carry. The
// client engine tries these first and falls back to a msgpack library for
// anything else, so both encodings must be ones any decoder reads.

// AppendScalar appends v when it is nil, a bool, an integer, a float, a
// string or a []byte; ok is false, and b unchanged, for any other type.
func AppendScalar(b []byte, v any) (_ []byte, ok bool) {
	switch x := v.(type) {
	case nil:
		return append(b, 0xc0), true
	case bool:
		return appendBool(b, x), true
	case int:
		return AppendInt(b, int64(x)), true
	case int8:
		return AppendInt(b, int64(x)), true
	case int16:
		return AppendInt(b, int64(x)), true
	case int32:
		return AppendInt(b, int64(x)), true
	case int64:
		return AppendInt(b, x), true
	case uint:
		return appendUint(b, uint64(x)), true
	case uint8:
		return appendUint(b, uint64(x)), true
	case uint16:
		return appendUint(b, uint64(x)), true
	case uint32:
		return appendUint(b, uint64(x)), true
	case uint64:
		return appendUint(b, x), true
	case float64:
		return binary.BigEndian.AppendUint64(append(b, 0xcb), math.Float64bits(x)), true
	case float32:
		return binary.BigEndian.AppendUint32(append(b, 0xca), math.Float32bits(x)), true
	case string:
		return AppendStr(b, x), true
	case []byte:
		if x == nil {
			return append(b, 0xc0), true
		}
		return AppendBin(b, x), true
	}
	return b, false
}

// AppendBin appends p as msgpack binary.
func AppendBin(b, p []byte) []byte {
	return append(AppendBinHeader(b, len(p)), p...)
}

// AppendBinHeader appends the header of a msgpack bin of n bytes, which
// are to follow.
func AppendBinHeader(b []byte, n int) []byte {
	switch {
	case n <= math.MaxUint8:
		b = append(b, 0xc4, byte(n))
	case n <= math.MaxUint16:
		b = append(b, 0xc5, byte(n>>8), byte(n))
	default:
		b = append(b, 0xc6, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
	return b
}

// ScalarSize is an upper bound of the size AppendScalar gives v (0 when
// it cannot encode v).
func ScalarSize(v any) int {
	switch x := v.(type) {
	case string:
		return 5 + len(x)
	case []byte:
		return 5 + len(x)
	case nil, bool, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, float32, float64:
		return 9
	}
	return 0
}

// ReadBin returns the bytes of a msgpack bin or str at the start of b,
// aliasing b (nil for a msgpack nil), and what follows.
func ReadBin(b []byte) ([]byte, []byte, error) {
	if len(b) == 0 {
		return nil, nil, malformed("want binary, got end of value")
	}
	var n uint64
	var h int
	switch c := b[0]; {
	case c == 0xc0:
		return nil, b[1:], nil
	case c == 0xc4, c == 0xc5, c == 0xc6:
		w := 1 << (c - 0xc4)
		v, ok := be(b, w)
		if !ok {
			return nil, nil, malformed("truncated binary header")
		}
		n, h = v, 1+w
	default:
		return readStr(b)
	}
	if uint64(len(b)-h) < n {
		return nil, nil, malformed("truncated binary")
	}
	return b[h : h+int(n) : h+int(n)], b[h+int(n):], nil
}

// ReadInt decodes any msgpack integer that fits an int64 (or a float64
// holding an integer, as JavaScript numbers are).
func ReadInt(b []byte) (int64, []byte, error) { return readInt(b) }

// ReadFloat decodes a msgpack float or integer as a float64.
func ReadFloat(b []byte) (float64, []byte, error) {
	if len(b) > 0 {
		switch b[0] {
		case 0xcb:
			if v, ok := be(b, 8); ok {
				return math.Float64frombits(v), b[9:], nil
			}
			return 0, nil, malformed("truncated float")
		case 0xca:
			if v, ok := be(b, 4); ok {
				return float64(math.Float32frombits(uint32(v))), b[5:], nil
			}
			return 0, nil, malformed("truncated float")
		}
	}
	n, rest, err := readInt(b)
	return float64(n), rest, err
}

// ReadBool decodes a msgpack boolean.
func ReadBool(b []byte) (bool, []byte, error) { return readBool(b) }

// ReadArrayLen decodes the header of a msgpack array.
func ReadArrayLen(b []byte) (int, []byte, error) { return readArrayLen(b) }

// SkipValue returns what follows the msgpack value at the start of b.
func SkipValue(b []byte) ([]byte, error) { return skipValue(b) }
