package wire

import (
	"bytes"
	"errors"
	"testing"

	"github.com/vmihailenco/msgpack/v5"
)

// nested is depth arrays, each holding the next, around a nil.
func nested(depth int) []byte {
	b := bytes.Repeat([]byte{0x91}, depth-1)
	return append(b, 0xc0)
}

// wide is an array of n copies of elem.
func wide(n int, elem []byte) []byte {
	b := AppendArrayLen(nil, n)
	for range n {
		b = append(b, elem...)
	}
	return b
}

func TestCheckValueDepth(t *testing.T) {
	// (A generic decode of 10,000 one-element arrays takes 400 KB, over
	// the budget of 10,000 bytes: the depth limit is checked without it.)
	if err := CheckNesting(nested(MaxDepth)); err != nil {
		t.Fatalf("depth %d refused: %v", MaxDepth, err)
	}
	for _, b := range [][]byte{
		nested(MaxDepth + 1),
		append(bytes.Repeat([]byte{0x81, 0xa1, 'k'}, MaxDepth), 0xc0), // maps
		append(nested(MaxDepth+1), 0xc0),                              // trailing byte too
	} {
		err := CheckNesting(b)
		if !errors.Is(err, ErrTooDeep) || !errors.Is(err, ErrMalformed) {
			t.Fatalf("depth over %d: %v, want ErrTooDeep", MaxDepth, err)
		}
	}
	// Depth counts nesting, not siblings: a wide flat array passes.
	if err := CheckValue(wide(2*MaxDepth, []byte{0x91, 0x01})); err != nil {
		t.Fatal(err)
	}
}

func TestCheckValueMalformed(t *testing.T) {
	for name, b := range map[string][]byte{
		"empty":            {},
		"truncated array":  {0x93, 0x01},
		"count over bytes": {0xdd, 0xff, 0xff, 0xff, 0xff, 0x01},
		"map count":        {0xdf, 0x7f, 0xff, 0xff, 0xff},
		"truncated string": {0xa5, 'a'},
		"bytes after":      {0x01, 0x02},
		"unused code":      {0xc1},
		"truncated header": {0xdc, 0x00},
		"truncated ext":    {0xc7, 0x05, 0x01},
		"str32 over frame": {0xdb, 0xff, 0xff, 0xff, 0xff},
	} {
		if err := CheckValue(b); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %v, want ErrMalformed", name, err)
		}
	}
}

// TestCheckValueBudget: wide containers of empty values, which a generic
// decode turns into 40-64 bytes each, are refused past the budget; common
// payloads of the same size pass.
func TestCheckValueBudget(t *testing.T) {
	const n = 1 << 20
	for name, elem := range map[string][]byte{"empty maps": {0x80}, "empty arrays": {0x90}} {
		if err := CheckValue(wide(n, elem)); !errors.Is(err, ErrTooComplex) || !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %v, want ErrTooComplex", name, err)
		}
		if err := CheckNesting(wide(n, elem)); err != nil {
			t.Errorf("%s: CheckNesting: %v", name, err)
		}
	}
	record := body(t, map[string]any{"id": 123, "name": "alice", "tags": []string{"a", "b"}})
	for name, b := range map[string][]byte{
		"records":  wide(n/16, record),
		"floats":   wide(n/9, body(t, 1.5)),
		"integers": wide(n, []byte{0x7f}),
		"strings":  wide(n/8, body(t, "seven b")),
		"binary":   body(t, make([]byte, n)),
	} {
		if err := CheckValue(b); err != nil {
			t.Errorf("%s (%d bytes): %v", name, len(b), err)
		}
	}
}

func body(t testing.TB, v any) []byte {
	t.Helper()
	b, err := msgpack.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
