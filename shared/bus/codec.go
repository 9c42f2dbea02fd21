//go:build !js

package bus

import (
	"bytes"
	"fmt"
	"math"

	"github.com/vmihailenco/msgpack/v5"
)

// Payloads are msgpack: Go values encode as vmihailenco/msgpack/v5 encodes
// them (time.Time as the timestamp extension, []byte as binary, structs by
// their msgpack tags). Decoding into `any` gives nil, bool, int64 (uint64
// above the int64 range), float64, string, []byte, time.Time, []any and
// map[string]any, whatever width the sender encoded a number with.

// encodeArgs appends the msgpack array of args to b.
func encodeArgs(b []byte, args []any) ([]byte, error) {
	buf := bytes.NewBuffer(b)
	enc := msgpack.GetEncoder()
	defer msgpack.PutEncoder(enc)
	enc.Reset(buf)
	if err := enc.EncodeArrayLen(len(args)); err != nil {
		return nil, err
	}
	for i, a := range args {
		if err := enc.Encode(a); err != nil {
			return nil, fmt.Errorf("ipcbus: argument %d (%T) cannot be sent: %w", i, a, err)
		}
	}
	return buf.Bytes(), nil
}

// encodeValue appends the msgpack encoding of v to b.
func encodeValue(b []byte, v any) ([]byte, error) {
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
func decodeArgs(raw []byte, dst []any) error {
	dec := newDecoder(raw)
	defer msgpack.PutDecoder(dec)
	n, err := dec.DecodeArrayLen()
	if err != nil {
		return fmt.Errorf("ipcbus: decode args: %w", err)
	}
	for i := 0; i < len(dst) && i < n; i++ {
		if dst[i] == nil {
			if err := dec.Skip(); err != nil {
				return fmt.Errorf("ipcbus: decode arg %d: %w", i, err)
			}
			continue
		}
		if err := dec.Decode(dst[i]); err != nil {
			return fmt.Errorf("ipcbus: decode arg %d into %T: %w", i, dst[i], err)
		}
	}
	return nil
}

// decodeValues decodes the whole args array into generic values.
func decodeValues(raw []byte) ([]any, error) {
	dec := newDecoder(raw)
	defer msgpack.PutDecoder(dec)
	n, err := dec.DecodeArrayLen()
	if err != nil {
		return nil, fmt.Errorf("ipcbus: decode args: %w", err)
	}
	out := make([]any, 0, max(n, 0))
	for i := 0; i < n; i++ {
		v, err := dec.DecodeInterface()
		if err != nil {
			return nil, fmt.Errorf("ipcbus: decode arg %d: %w", i, err)
		}
		out = append(out, signed(v))
	}
	return out, nil
}

// decodeValue decodes one msgpack value into dst (a pointer), or returns it
// as a generic value when dst is nil.
func decodeValue(raw []byte, dst any) (any, error) {
	if len(raw) == 0 {
		raw = []byte{0xc0}
	}
	dec := newDecoder(raw)
	defer msgpack.PutDecoder(dec)
	if dst == nil {
		v, err := dec.DecodeInterface()
		return signed(v), err
	}
	return nil, dec.Decode(dst)
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
