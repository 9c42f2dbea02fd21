package wire

import (
	"encoding/binary"
	"fmt"
	"math"
)

// This file holds the few msgpack primitives the frame header needs,
// written by hand so that encoding and decoding a header neither allocates
// nor reflects. Payloads are encoded with github.com/vmihailenco/msgpack/v5.

func appendNil(b []byte) []byte { return append(b, 0xc0) }

// AppendArrayLen appends the header of a msgpack array of n elements.
func AppendArrayLen(b []byte, n int) []byte { return appendArrayLen(b, n) }

func appendArrayLen(b []byte, n int) []byte {
	switch {
	case n < 16:
		return append(b, 0x90|byte(n))
	case n <= math.MaxUint16:
		return append(b, 0xdc, byte(n>>8), byte(n))
	default:
		return append(b, 0xdd, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
}

func appendUint(b []byte, v uint64) []byte {
	switch {
	case v < 128:
		return append(b, byte(v))
	case v <= math.MaxUint8:
		return append(b, 0xcc, byte(v))
	case v <= math.MaxUint16:
		return append(b, 0xcd, byte(v>>8), byte(v))
	case v <= math.MaxUint32:
		return append(b, 0xce, byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
	default:
		return binary.BigEndian.AppendUint64(append(b, 0xcf), v)
	}
}

// appendString appends s as a msgpack str, or nil when s is empty.
func appendString(b []byte, s string) []byte {
	n := len(s)
	switch {
	case n == 0:
		return appendNil(b)
	case n < 32:
		b = append(b, 0xa0|byte(n))
	case n <= math.MaxUint8:
		b = append(b, 0xd9, byte(n))
	case n <= math.MaxUint16:
		b = append(b, 0xda, byte(n>>8), byte(n))
	default:
		b = append(b, 0xdb, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
	return append(b, s...)
}

// appendRaw appends an already encoded msgpack value, or nil when raw is empty.
func appendRaw(b, raw []byte) []byte {
	if len(raw) == 0 {
		return appendNil(b)
	}
	return append(b, raw...)
}

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(format, args...))
}

// be reads an n-byte big-endian unsigned integer at b[1:].
func be(b []byte, n int) (uint64, bool) {
	if len(b) < 1+n {
		return 0, false
	}
	var v uint64
	for _, c := range b[1 : 1+n] {
		v = v<<8 | uint64(c)
	}
	return v, true
}

func readArrayLen(b []byte) (int, []byte, error) {
	if len(b) == 0 {
		return 0, nil, malformed("want an array, got end of frame")
	}
	c := b[0]
	switch {
	case c&0xf0 == 0x90:
		return int(c & 0x0f), b[1:], nil
	case c == 0xdc:
		if v, ok := be(b, 2); ok {
			return int(v), b[3:], nil
		}
	case c == 0xdd:
		if v, ok := be(b, 4); ok {
			return int(v), b[5:], nil
		}
	default:
		return 0, nil, malformed("want an array, got code 0x%02x", c)
	}
	return 0, nil, malformed("truncated array header")
}

// readUint reads a non-negative integer (any msgpack int encoding) or nil as 0.
func readUint(b []byte) (uint64, []byte, error) {
	if len(b) == 0 {
		return 0, nil, malformed("want an integer, got end of frame")
	}
	c := b[0]
	switch {
	case c <= 0x7f:
		return uint64(c), b[1:], nil
	case c == 0xc0:
		return 0, b[1:], nil
	case c == 0xcc || c == 0xd0:
		if v, ok := be(b, 1); ok && (c == 0xcc || v < 0x80) {
			return v, b[2:], nil
		}
	case c == 0xcd || c == 0xd1:
		if v, ok := be(b, 2); ok && (c == 0xcd || v < 0x8000) {
			return v, b[3:], nil
		}
	case c == 0xce || c == 0xd2:
		if v, ok := be(b, 4); ok && (c == 0xce || v < 0x80000000) {
			return v, b[5:], nil
		}
	case c == 0xcf || c == 0xd3:
		if v, ok := be(b, 8); ok && (c == 0xcf || v < 1<<63) {
			return v, b[9:], nil
		}
	default:
		return 0, nil, malformed("want an unsigned integer, got code 0x%02x", c)
	}
	return 0, nil, malformed("truncated or negative integer")
}

// readStr reads a str (or nil as "") and returns its bytes, aliasing b.
func readStr(b []byte) ([]byte, []byte, error) {
	if len(b) == 0 {
		return nil, nil, malformed("want a string, got end of frame")
	}
	c := b[0]
	var n uint64
	var h int
	switch {
	case c == 0xc0:
		return nil, b[1:], nil
	case c&0xe0 == 0xa0:
		n, h = uint64(c&0x1f), 1
	case c == 0xd9 || c == 0xda || c == 0xdb:
		w := 1 << (c - 0xd9)
		v, ok := be(b, w)
		if !ok {
			return nil, nil, malformed("truncated string header")
		}
		n, h = v, 1+w
	default:
		return nil, nil, malformed("want a string, got code 0x%02x", c)
	}
	if uint64(len(b)-h) < n {
		return nil, nil, malformed("truncated string")
	}
	return b[h : h+int(n)], b[h+int(n):], nil
}

// valueHead reads the header of the msgpack value at the start of b: the
// bytes of its header (code and length), of its body (a str's or bin's
// bytes, a number's) and the number of values nested in it (an array's
// elements, twice a map's entries). It checks that the header itself is
// complete, not that the body is.
func valueHead(b []byte) (head, body, items uint64, err error) {
	if len(b) == 0 {
		return 0, 0, 0, malformed("truncated value")
	}
	c := b[0]
	switch {
	case c <= 0x7f || c >= 0xe0 || c == 0xc0 || c == 0xc2 || c == 0xc3:
		return 1, 0, 0, nil
	case c&0xf0 == 0x80: // fixmap
		return 1, 0, 2 * uint64(c&0x0f), nil
	case c&0xf0 == 0x90: // fixarray
		return 1, 0, uint64(c & 0x0f), nil
	case c&0xe0 == 0xa0: // fixstr
		return 1, uint64(c & 0x1f), 0, nil
	case c == 0xca: // float32
		return 1, 4, 0, nil
	case c == 0xcb: // float64
		return 1, 8, 0, nil
	case c == 0xcc || c == 0xd0:
		return 1, 1, 0, nil
	case c == 0xcd || c == 0xd1:
		return 1, 2, 0, nil
	case c == 0xce || c == 0xd2:
		return 1, 4, 0, nil
	case c == 0xcf || c == 0xd3:
		return 1, 8, 0, nil
	case c >= 0xd4 && c <= 0xd8: // fixext 1, 2, 4, 8, 16
		return 2, 1 << (c - 0xd4), 0, nil
	}
	var w int // width of the length that follows the code
	switch c {
	case 0xc4, 0xd9, 0xc7: // bin8, str8, ext8
		w = 1
	case 0xc5, 0xda, 0xc8, 0xdc, 0xde: // bin16, str16, ext16, array16, map16
		w = 2
	case 0xc6, 0xdb, 0xc9, 0xdd, 0xdf: // bin32, str32, ext32, array32, map32
		w = 4
	default: // 0xc1 is never used
		return 0, 0, 0, malformed("invalid code 0x%02x", c)
	}
	v, ok := be(b, w)
	if !ok {
		return 0, 0, 0, malformed("truncated length")
	}
	head = 1 + uint64(w)
	switch c {
	case 0xc7, 0xc8, 0xc9: // ext: a type byte, then the data
		return head + 1, v, 0, nil
	case 0xdc, 0xdd:
		return head, 0, v, nil
	case 0xde, 0xdf:
		return head, 0, 2 * v, nil
	}
	return head, v, 0, nil
}

// valueLen returns the encoded length of the msgpack value at the start of
// b, after checking that it is complete and well formed. It walks nested
// arrays and maps without recursion.
func valueLen(b []byte) (int, error) {
	pos, pending := 0, 1
	for pending > 0 {
		pending--
		head, body, items, err := valueHead(b[pos:])
		if err != nil {
			return 0, err
		}
		if head+body > uint64(len(b)-pos) {
			return 0, malformed("truncated value")
		}
		pos += int(head + body)
		// Every pending item takes at least one byte: more than that is a lie.
		if items > uint64(len(b)-pos) || uint64(pending)+items > uint64(len(b)-pos) {
			return 0, malformed("length %d exceeds the frame", items)
		}
		pending += int(items)
	}
	return pos, nil
}

// ValueLen returns the length of the complete msgpack value at the start of
// b, or an error wrapping ErrMalformed when there is none.
func ValueLen(b []byte) (int, error) { return valueLen(b) }

// readRaw returns the encoded msgpack value at the start of b (nil for a
// msgpack nil) and what follows it.
func readRaw(b []byte) ([]byte, []byte, error) {
	n, err := valueLen(b)
	if err != nil {
		return nil, nil, err
	}
	if b[0] == 0xc0 {
		return nil, b[1:], nil
	}
	return b[:n:n], b[n:], nil
}
