package hub

import (
	"encoding/binary"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ipcbus/ipcbus/shared/wire"
)

// Bounds of a spy preview: it reads at most wire.SpyPreviewBytes of the
// payload, renders at most previewChars characters and previewDepth levels
// of nesting, and stops with "…" at the first bound it meets. The walk is
// sequential and recursion is bounded by previewDepth, so a hostile payload
// (a header claiming 2³² elements, nesting 10,000 deep) costs no more than
// a benign one.
const (
	previewChars     = 160
	previewDepth     = 4
	previewStrChars  = 40
	previewTruncated = "…"
)

// preview renders the start of the msgpack value b for a spy.
func preview(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	cut := len(b) > wire.SpyPreviewBytes
	if cut {
		b = b[:wire.SpyPreviewBytes]
	}
	p := previewer{b: b}
	p.value(0)
	if !p.stopped && cut {
		p.stop()
	}
	return p.out.String()
}

type previewer struct {
	b       []byte
	out     strings.Builder
	stopped bool
}

func (p *previewer) stop() {
	if !p.stopped {
		p.stopped = true
		p.out.WriteString(previewTruncated)
	}
}

func (p *previewer) write(s string) bool {
	if p.stopped {
		return false
	}
	if p.out.Len()+len(s) > previewChars {
		p.stop()
		return false
	}
	p.out.WriteString(s)
	return true
}

// take returns the next n bytes of input, or stops when there are fewer.
func (p *previewer) take(n int) ([]byte, bool) {
	if n < 0 || n > len(p.b) {
		p.b = nil
		p.stop()
		return nil, false
	}
	v := p.b[:n]
	p.b = p.b[n:]
	return v, true
}

func (p *previewer) uint(n int) (uint64, bool) {
	v, ok := p.take(n)
	if !ok {
		return 0, false
	}
	var u uint64
	for _, c := range v {
		u = u<<8 | uint64(c)
	}
	return u, true
}

// value renders one value.
func (p *previewer) value(depth int) {
	if p.stopped {
		return
	}
	if depth > previewDepth {
		p.stop()
		return
	}
	hb, ok := p.take(1)
	if !ok {
		return
	}
	c := hb[0]
	switch {
	case c <= 0x7f:
		p.write(strconv.Itoa(int(c)))
	case c >= 0xe0:
		p.write(strconv.Itoa(int(int8(c))))
	case c&0xf0 == 0x80:
		p.seq(depth, int(c&0x0f), true)
	case c&0xf0 == 0x90:
		p.seq(depth, int(c&0x0f), false)
	case c&0xe0 == 0xa0:
		p.str(int(c & 0x1f))
	case c == 0xc0:
		p.write("null")
	case c == 0xc2:
		p.write("false")
	case c == 0xc3:
		p.write("true")
	case c >= 0xc4 && c <= 0xc6: // bin
		if n, ok := p.uint(1 << (c - 0xc4)); ok && p.skip(n) {
			p.write("<" + strconv.FormatUint(n, 10) + " bytes>")
		}
	case c >= 0xc7 && c <= 0xc9: // ext
		if n, ok := p.uint(1 << (c - 0xc7)); ok {
			p.ext(n)
		}
	case c == 0xca:
		if v, ok := p.uint(4); ok {
			p.write(strconv.FormatFloat(float64(math.Float32frombits(uint32(v))), 'g', -1, 32))
		}
	case c == 0xcb:
		if v, ok := p.uint(8); ok {
			p.write(strconv.FormatFloat(math.Float64frombits(v), 'g', -1, 64))
		}
	case c >= 0xcc && c <= 0xcf:
		if v, ok := p.uint(1 << (c - 0xcc)); ok {
			p.write(strconv.FormatUint(v, 10))
		}
	case c >= 0xd0 && c <= 0xd3:
		n := 1 << (c - 0xd0)
		if v, ok := p.uint(n); ok {
			shift := 64 - 8*n
			p.write(strconv.FormatInt(int64(v<<shift)>>shift, 10))
		}
	case c >= 0xd4 && c <= 0xd8: // fixext
		p.ext(1 << (c - 0xd4))
	case c >= 0xd9 && c <= 0xdb:
		if n, ok := p.uint(1 << (c - 0xd9)); ok {
			p.str(int(min(n, math.MaxInt32)))
		}
	case c == 0xdc || c == 0xdd:
		if n, ok := p.uint(2 << (c - 0xdc)); ok {
			p.seq(depth, int(min(n, math.MaxInt32)), false)
		}
	case c == 0xde || c == 0xdf:
		if n, ok := p.uint(2 << (c - 0xde)); ok {
			p.seq(depth, int(min(n, math.MaxInt32)), true)
		}
	default: // 0xc1, never used
		p.write("?")
		p.stop()
	}
}

// seq renders an array of n values, or a map of n pairs. Every element
// takes at least one byte of input, so n is bounded by what is left.
func (p *previewer) seq(depth, n int, isMap bool) {
	open, close := "[", "]"
	if isMap {
		open, close = "{", "}"
	}
	if !p.write(open) {
		return
	}
	for i := 0; i < n && !p.stopped; i++ {
		if i > 0 && !p.write(", ") {
			return
		}
		p.value(depth + 1)
		if isMap && p.write(": ") {
			p.value(depth + 1)
		}
	}
	p.write(close)
}

func (p *previewer) str(n int) {
	s, ok := p.take(n)
	if !ok {
		return
	}
	cut := false
	if utf8.RuneCount(s) > previewStrChars {
		s, cut = s[:runeOffset(s, previewStrChars)], true
	}
	q := strconv.Quote(string(s))
	if cut {
		q = q[:len(q)-1] + previewTruncated + `"`
	}
	p.write(q)
}

// runeOffset returns the byte offset of the n-th rune of s.
func runeOffset(s []byte, n int) int {
	off := 0
	for i := 0; i < n && off < len(s); i++ {
		_, size := utf8.DecodeRune(s[off:])
		off += size
	}
	return off
}

func (p *previewer) skip(n uint64) bool {
	_, ok := p.take(int(min(n, math.MaxInt32)))
	return ok
}

// ext renders an extension value of n data bytes: a timestamp as its time,
// others by type and size.
func (p *previewer) ext(n uint64) {
	t, ok := p.take(1)
	if !ok {
		return
	}
	if int8(t[0]) == -1 && (n == 4 || n == 8 || n == 12) {
		d, ok := p.take(int(n))
		if !ok {
			return
		}
		var sec int64
		switch n {
		case 4:
			sec = int64(binary.BigEndian.Uint32(d))
		case 8:
			sec = int64(binary.BigEndian.Uint64(d) & (1<<34 - 1))
		case 12:
			sec = int64(binary.BigEndian.Uint64(d[4:]))
		}
		p.write(time.Unix(sec, 0).UTC().Format(time.RFC3339))
		return
	}
	if p.skip(n) {
		p.write("<ext " + strconv.Itoa(int(int8(t[0]))) + ", " + strconv.FormatUint(n, 10) + " bytes>")
	}
}
