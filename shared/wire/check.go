package wire

import "fmt"

// Checks run before a payload from a peer is decoded with a general
// msgpack decoder (one that recurses, and allocates what the headers say):
// they walk the value without recursion and refuse, with an error instead
// of a crash, what would overflow the decoder's stack or make it allocate
// out of proportion to the bytes received.

// CheckValue checks that b is exactly one complete msgpack value that a
// generic decode (into any: []any, map[string]any, strings, numbers) can
// take: nested at most MaxDepth deep, with element counts the bytes can
// carry, no extension but timestamps, and whose DecodeCost is within
// DecodeBudget(len(b)). The error wraps ErrTooDeep, ErrTooComplex or
// ErrMalformed; each matches ErrMalformed.
func CheckValue(b []byte) error {
	_, err := walkValue(b, DecodeBudget(len(b)), true)
	return err
}

// CheckNesting is CheckValue without the heap budget, for decodes into
// typed destinations (a struct, a []T), which allocate what their types
// need rather than what the payload's shape asks for.
func CheckNesting(b []byte) error {
	_, err := walkValue(b, -1, false)
	return err
}

// DecodeBudget is the heap a generic decode of n bytes may take:
// DecodeBudgetPerByte bytes for each byte, plus 64 KiB.
func DecodeBudget(n int) int64 { return DecodeBudgetPerByte*int64(n) + 64<<10 }

// DecodeCost is an estimate, in bytes, of what a generic decode of the
// valid msgpack value b allocates (see CheckValue), or -1 when b is not
// one valid value within MaxDepth.
func DecodeCost(b []byte) int64 {
	cost, err := walkValue(b, -1, true)
	if err != nil {
		return -1
	}
	return cost
}

// An open container on the walk's stack: the values still to come in it,
// and whether it is a map (its keys are at even counts).
type openValue struct {
	left  uint64
	isMap bool
}

// walkValue walks the one value b holds with an explicit stack and returns
// its estimated decode cost; past budget (when not negative) it stops with
// ErrTooComplex. generic refuses what a generic decode cannot read.
func walkValue(b []byte, budget int64, generic bool) (int64, error) {
	var stack []openValue
	pos := 0
	var pending uint64 = 1 // values still to read, at every level
	var cost int64
	for pending > 0 {
		pending--
		key := false
		if n := len(stack); n > 0 {
			top := &stack[n-1]
			key = top.isMap && top.left%2 == 0
			top.left--
		}
		if len(stack)+1 > MaxDepth {
			return 0, fmt.Errorf("%w: deeper than %d", ErrTooDeep, MaxDepth)
		}
		head, body, items, err := valueHead(b[pos:])
		if err != nil {
			return 0, err
		}
		c := b[pos]
		if head+body > uint64(len(b)-pos) {
			return 0, malformed("truncated value")
		}
		if generic && (c == 0xc7 || c == 0xc8 || c == 0xc9 || (c >= 0xd4 && c <= 0xd8)) {
			// A generic decode knows one extension, the timestamp.
			if typ := int8(b[pos+int(head)-1]); typ != -1 || (body != 4 && body != 8 && body != 12) {
				return 0, malformed("extension type %d of %d bytes (a generic decode reads timestamps only)", typ, body)
			}
		}
		pos += int(head + body)
		if items > uint64(len(b)-pos) || pending+items > uint64(len(b)-pos) {
			return 0, malformed("%d elements where %d bytes are left", items, len(b)-pos)
		}
		pending += items
		cost += valueCost(c, body, items)
		if key && (c&0xe0 != 0xa0 && c != 0xd9 && c != 0xda && c != 0xdb) {
			cost += 32 // a key that is not a string is formatted as one
		}
		if budget >= 0 && cost > budget {
			return 0, fmt.Errorf("%w: a generic decode of these %d bytes would take over %d bytes of memory (decode into typed values instead)", ErrTooComplex, len(b), budget)
		}
		if items > 0 { // a container opens: its values are one level deeper
			stack = append(stack, openValue{left: items, isMap: c&0xf0 == 0x80 || c == 0xde || c == 0xdf})
			continue
		}
		// A value without contents may complete the containers around it.
		for len(stack) > 0 && stack[len(stack)-1].left == 0 {
			stack = stack[:len(stack)-1]
		}
	}
	if pos != len(b) {
		return 0, malformed("%d bytes after the value", len(b)-pos)
	}
	return cost, nil
}

// valueCost estimates what decoding the value with code c (body bytes of
// data, items nested values) into an interface allocates, measured on
// msgpack/v5 with Go's maps: the boxing of the value, its bytes, a
// slice's backing array, a map's header and slot groups.
func valueCost(c byte, body, items uint64) int64 {
	switch {
	case c <= 0x7f || c == 0xc0 || c == 0xc2 || c == 0xc3 || c == 0xcc:
		return 0 // nil, bools and bytes are boxed without allocating
	case c&0xf0 == 0x80 || c == 0xde || c == 0xdf:
		return mapCost(items / 2)
	case c&0xf0 == 0x90 || c == 0xdc || c == 0xdd:
		return 24 + 16*int64(items) // boxed slice header, backing array
	case c&0xe0 == 0xa0 || c == 0xd9 || c == 0xda || c == 0xdb:
		if body == 0 {
			return 0
		}
		return 16 + bytesCost(body)
	case c == 0xc4 || c == 0xc5 || c == 0xc6:
		return 24 + bytesCost(body)
	case c == 0xc7 || c == 0xc8 || c == 0xc9 || (c >= 0xd4 && c <= 0xd8):
		return 48 + bytesCost(body) // a time.Time, or an extension's bytes
	}
	return 8 // a boxed number
}

// bytesCost is n bytes rounded up to the allocator's size classes.
func bytesCost(n uint64) int64 { return int64(n + n/8 + 8) }

// mapCost is a map[string]any of n entries: its header, one group of 8
// slots for up to 8 entries, else a table of groups sized for 7/8 load.
func mapCost(n uint64) int64 {
	switch {
	case n == 0:
		return 48
	case n <= 8:
		return 48 + 288
	}
	slots := uint64(16)
	for slots*7/8 < n {
		slots *= 2
	}
	return 48 + 64 + 40*int64(slots)
}
