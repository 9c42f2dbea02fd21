//go:build !js

package bus

import (
	"bytes"
	"fmt"
	"math"

	"github.com/ipcbus/ipcbus/shared/wire"
	"github.com/vmihailenco/msgpack/v5"
)

// Payloads are msgpack: Go values encode as vmihailenco/msgpack/v5 encodes
// them (time.Time as the timestamp extension, []byte as binary, structs by
// their msgpack tags). Decoding into `any` gives nil, bool, int64 (uint64
// above the int64 range), float64, string, []byte, time.Time, []any and
// map[string]any, whatever width the sender encoded a number with.

// encodeArgs appends the msgpack array of args to b. Scalars, strings and
// []byte are encoded by hand into one buffer sized for them; other values
// go through the msgpack library.
func encodeArgs(b []byte, args []any) ([]byte, error) {
	if b == nil {
		size := 5
		for _, a := range args {
			size += max(wire.ScalarSize(a), 16)
		}
		b = make([]byte, 0, size)
	}
	return appendValues(wire.AppendArrayLen(b, len(args)), args)
}

// appendValues appends the msgpack encoding of each of args to b.
func appendValues(b []byte, args []any) ([]byte, error) {
	for i, a := range args {
		var ok bool
		if b, ok = wire.AppendScalar(b, a); ok {
			continue
		}
		var err error
		if b, err = encodeValue(b, a); err != nil {
			return nil, fmt.Errorf("ipcbus: argument %d (%T) cannot be sent: %w", i, a, err)
		}
	}
	return b, nil
}

// encodeValue appends the msgpack encoding of v to b.
func encodeValue(b []byte, v any) ([]byte, error) {
	if out, ok := wire.AppendScalar(b, v); ok {
		return out, nil
	}
	buf := bytes.NewBuffer(b)
	enc := msgpack.GetEncoder()
	defer msgpack.PutEncoder(enc)
	enc.Reset(buf)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("ipcbus: value (%T) cannot be sent: %w", v, err)
	}
	return buf.Bytes(), nil
}

func newDecoder(b []byte) *msgpack.Decoder {
	dec := msgpack.GetDecoder()
	dec.Reset(bytes.NewReader(b))
	dec.SetMapDecoder(decodeStringMap)
	return dec
}

// decodeStringMap decodes every map as map[string]any, as JS sees objects;
// a key that is not a string is formatted as one.
func decodeStringMap(d *msgpack.Decoder) (any, error) {
	n, err := d.DecodeMapLen()
	if err != nil || n == -1 {
		return nil, err
	}
	m := make(map[string]any, n)
	for i := 0; i < n; i++ {
		k, err := d.DecodeInterface()
		if err != nil {
			return nil, err
		}
		v, err := d.DecodeInterface()
		if err != nil {
			return nil, err
		}
		if s, ok := k.(string); ok {
			m[s] = signed(v)
		} else {
			m[fmt.Sprint(k)] = signed(v)
		}
	}
	return m, nil
}

// decodeArgs decodes the first len(dst) elements of the args array raw into
// dst, which are pointers. Missing args leave their targets untouched.
// Common targets (*[]byte, *string, integers, floats, bools, and *any for
// scalars) are decoded by hand; a decoded []byte aliases raw.
func decodeArgs(raw []byte, dst []any) error {
	n, rest, err := wire.ReadArrayLen(raw)
	if err != nil {
		return fmt.Errorf("ipcbus: decode args: %w", err)
	}
	for i := 0; i < len(dst) && i < n; i++ {
		size, err := wire.ValueLen(rest)
		if err != nil {
			return fmt.Errorf("ipcbus: decode arg %d: %w", i, err)
		}
		if dst[i] != nil {
			if err := decodeInto(rest[:size:size], dst[i]); err != nil {
				return fmt.Errorf("ipcbus: decode arg %d into %T: %w", i, dst[i], err)
			}
		}
		rest = rest[size:]
	}
	return nil
}

// decodeInto decodes the one msgpack value v into dst, a pointer.
func decodeInto(v []byte, dst any) error { return decodeIntoChecked(v, dst, false) }

// decodeIntoChecked is decodeInto, told whether v was checked already.
func decodeIntoChecked(v []byte, dst any, checked bool) error {
	var err error
	switch d := dst.(type) {
	case *[]byte:
		*d, _, err = wire.ReadBin(v)
		return err
	case *string:
		if v[0] != 0xc4 && v[0] != 0xc5 && v[0] != 0xc6 { // a str, or an error below
			*d, _, err = wire.ReadStr(v)
			return err
		}
	case *int64:
		*d, _, err = wire.ReadInt(v)
		return err
	case *int:
		var n int64
		n, _, err = wire.ReadInt(v)
		*d = int(n)
		return err
	case *float64:
		*d, _, err = wire.ReadFloat(v)
		return err
	case *bool:
		*d, _, err = wire.ReadBool(v)
		return err
	case *any:
		if x, ok := decodeScalar(v); ok {
			*d = x
			return nil
		}
		x, err := decodeChecked(v, nil, checked)
		if err == nil {
			*d = x
		}
		return err
	}
	_, err = decodeChecked(v, dst, checked)
	return err
}

// decodeScalar decodes v by hand when it is nil, a bool, an integer, a
// float, a string or binary, with the types decodeValue gives them.
func decodeScalar(v []byte) (any, bool) {
	c := v[0]
	switch {
	case c == 0xc0:
		return nil, true
	case c == 0xc2 || c == 0xc3:
		return c == 0xc3, true
	case c <= 0x7f || c >= 0xe0 || (c >= 0xcc && c <= 0xce) || (c >= 0xd0 && c <= 0xd3):
		if n, _, err := wire.ReadInt(v); err == nil {
			return n, true
		}
	case c == 0xca || c == 0xcb:
		if f, _, err := wire.ReadFloat(v); err == nil {
			return f, true
		}
	case c&0xe0 == 0xa0 || c == 0xd9 || c == 0xda || c == 0xdb:
		if s, _, err := wire.ReadStr(v); err == nil {
			return s, true
		}
	case c == 0xc4 || c == 0xc5 || c == 0xc6:
		if b, _, err := wire.ReadBin(v); err == nil {
			return b, true
		}
	}
	return nil, false
}

// decodeValues decodes the whole args array into generic values.
func decodeValues(raw []byte) ([]any, error) {
	if err := wire.CheckValue(raw); err != nil {
		return nil, fmt.Errorf("ipcbus: decode args: %w", err)
	}
	n, rest, err := wire.ReadArrayLen(raw)
	if err != nil {
		return nil, fmt.Errorf("ipcbus: decode args: %w", err)
	}
	out := make([]any, n)
	for i := range out {
		size, err := wire.ValueLen(rest)
		if err != nil {
			return nil, fmt.Errorf("ipcbus: decode arg %d: %w", i, err)
		}
		if err := decodeIntoChecked(rest[:size:size], &out[i], true); err != nil {
			return nil, fmt.Errorf("ipcbus: decode arg %d: %w", i, err)
		}
		rest = rest[size:]
	}
	return out, nil
}

// decodeValue decodes one msgpack value into dst (a pointer), or returns it
// as a generic value when dst is nil. The value is checked first (see
// wire.CheckValue): a peer's payload can make it fail, never crash or
// exhaust memory. A generic destination gets the heap budget too.
func decodeValue(raw []byte, dst any) (any, error) { return decodeChecked(raw, dst, false) }

func decodeChecked(raw []byte, dst any, checked bool) (any, error) {
	if len(raw) == 0 {
		raw = []byte{0xc0}
	}
	if !checked {
		check := wire.CheckNesting
		if generic(dst) {
			check = wire.CheckValue
		}
		if err := check(raw); err != nil {
			return nil, err
		}
	}
	dec := newDecoder(raw)
	defer msgpack.PutDecoder(dec)
	if dst == nil {
		v, err := dec.DecodeInterface()
		return signed(v), err
	}
	return nil, dec.Decode(dst)
}

// generic reports whether dst takes a value of the payload's own shape:
// nil (the value is returned), *any, *[]any or *map[string]any.
func generic(dst any) bool {
	switch dst.(type) {
	case nil, *any, *[]any, *map[string]any:
		return true
	}
	return false
}

// signed gives every decoded integer one type, int64 (uint64 only above
// the int64 range), and every float float64, whatever width the sender
// encoded it with. Arrays are converted in place; maps were converted by
// decodeStringMap as they were built.
func signed(v any) any {
	switch x := v.(type) {
	case int8:
		return int64(x)
	case int16:
		return int64(x)
	case int32:
		return int64(x)
	case int:
		return int64(x)
	case uint8:
		return int64(x)
	case uint16:
		return int64(x)
	case uint32:
		return int64(x)
	case uint:
		if uint64(x) <= math.MaxInt64 {
			return int64(x)
		}
		return uint64(x)
	case uint64:
		if x <= math.MaxInt64 {
			return int64(x)
		}
	case float32:
		return float64(x)
	case []any:
		for i, e := range x {
			x[i] = signed(e)
		}
	}
	return v
}
