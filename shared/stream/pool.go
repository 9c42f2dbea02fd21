//go:build !js

package stream

import (
	"math/bits"
	"sync"
	"sync/atomic"
	"time"
)

// A Pool keeps the memory of large frames (over maxBuffer) for reuse, so
// that a connection with a pool reads each large frame into memory read
// into before instead of fresh, zeroed memory (and the page faults of
// memory the collector gave back). Buffers come in size classes, two per
// power of two from 64 KiB (a frame just over 64 KiB gets 96 KiB); frames over the largest class, and buffers
// released while the pool holds its limit, are left to the collector.
// A Pool is safe for concurrent use.
type Pool struct {
	limit int // bytes the pool may hold
	mu    sync.Mutex
	held  int
	used  bool // a buffer was taken since the last Trim
	free  [poolClasses][][]byte
	every time.Duration // TrimEvery's interval; 0: the owner calls Trim
	timer *time.Timer   // set while the pool trims itself
}

const (
	poolMinShift = 16 // the smallest class: 64 KiB
	poolClasses  = 2 * 10
	// the largest class: 48 MiB, past any sensible MaxFrameBytes
)

// NewPool returns a pool that holds at most limit bytes of free buffers.
func NewPool(limit int) *Pool { return &Pool{limit: limit} }

// classOf returns the class of a buffer of n bytes and its size, or -1.
func classOf(n int) (int, int) {
	if n <= 1<<poolMinShift {
		return 0, 1 << poolMinShift
	}
	shift := bits.Len(uint(n - 1)) // 2^(shift-1) < n <= 2^shift
	lo := 1 << (shift - 1)
	if half := lo + lo/2; n <= half {
		c := 2*(shift-1-poolMinShift) + 1
		if c >= poolClasses {
			return -1, 0
		}
		return c, half
	}
	c := 2 * (shift - poolMinShift)
	if c >= poolClasses {
		return -1, 0
	}
	return c, 1 << shift
}

// get returns a buffer of at least n bytes, holding one reference.
func (p *Pool) get(n int) *Buf {
	c, size := classOf(n)
	if c < 0 {
		return nil
	}
	b := &Buf{pool: p, class: c}
	b.refs.Store(1)
	p.mu.Lock()
	p.used = true
	if p.every > 0 && p.timer == nil {
		p.timer = time.AfterFunc(p.every, p.trimItself)
	}
	if free := p.free[c]; len(free) > 0 {
		b.b = free[len(free)-1]
		free[len(free)-1] = nil
		p.free[c] = free[:len(free)-1]
		p.held -= len(b.b)
	}
	p.mu.Unlock()
	if b.b == nil {
		b.b = make([]byte, size)
	}
	return b
}

// put takes b's memory back, unless the pool is full.
func (p *Pool) put(b *Buf) {
	p.mu.Lock()
	if p.held+len(b.b) <= p.limit {
		p.free[b.class] = append(p.free[b.class], b.b)
		p.held += len(b.b)
	}
	p.mu.Unlock()
	b.b = nil
}

// Trim lets go of the free buffers when none was taken since the last
// Trim: called now and then, it leaves an idle hub holding no large
// buffers.
func (p *Pool) Trim() {
	p.mu.Lock()
	if !p.used {
		clear(p.free[:])
		p.held = 0
	}
	p.used = false
	p.mu.Unlock()
}

// TrimEvery makes the pool Trim itself every d while it is in use, for an
// owner with no clock of its own (a process's clients): it needs no
// goroutine, and an idle pool holds neither buffers nor a timer.
func (p *Pool) TrimEvery(d time.Duration) {
	p.mu.Lock()
	p.every = d
	p.mu.Unlock()
}

// trimItself is TrimEvery's timer: it trims, and stops once the pool was
// idle for an interval and holds nothing.
func (p *Pool) trimItself() {
	p.Trim()
	p.mu.Lock()
	if p.held > 0 {
		p.timer.Reset(p.every)
	} else {
		p.timer = nil
	}
	p.mu.Unlock()
}

// Held returns the bytes the pool holds.
func (p *Pool) Held() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.held
}

// A Buf is the memory of one large frame read from a connection with a
// pool, counted: it returns to the pool when the last reference is
// released. Whoever keeps the frame's bytes past a call holds a reference
// (Retain before handing them on, Release when done with them); a Buf
// never released is left to the collector, which is safe.
type Buf struct {
	b     []byte
	refs  atomic.Int32
	pool  *Pool
	class int
}

// Retain adds a reference.
func (b *Buf) Retain() { b.refs.Add(1) }

// Release drops a reference; the last one returns the memory to the pool.
func (b *Buf) Release() {
	switch n := b.refs.Add(-1); {
	case n == 0:
		b.pool.put(b)
	case n < 0:
		panic("stream: Buf released more often than retained")
	}
}
