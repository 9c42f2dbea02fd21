//go:build !js

package stream

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/ipcbus/ipcbus/shared/wire"
)

func TestPoolClasses(t *testing.T) {
	prev := 0
	for _, n := range []int{1, maxBuffer + 5, 128 << 10, 128<<10 + 1, 192 << 10, 192<<10 + 1, 1<<20 + 100, 16<<20 + 64, 48 << 20} {
		c, size := classOf(n)
		if c < 0 || size < n || size > max(n*2, 64<<10) || n > maxBuffer && size > n+n/2 {
			t.Fatalf("%d bytes: class %d of %d bytes", n, c, size)
		}
		if size < prev {
			t.Fatalf("%d bytes: class of %d bytes, smaller than the last", n, size)
		}
		prev = size
	}
	if c, _ := classOf(48<<20 + 1); c >= 0 {
		t.Fatalf("48 MiB + 1: class %d, want none", c)
	}
}

// TestPooledFrames reads large frames through a pool: each is the caller's
// until its buffer is released, a released buffer holds the next large
// frame, small frames stay in the connection's own memory, and the pool
// keeps no more than its limit.
func TestPooledFrames(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	pool := NewPool(3 << 20)
	w, r := New(a, 4<<20, 0), New(b, 4<<20, 0)
	r.SetPool(pool)
	sizes := []int{1 << 20, 100, 1 << 20, 300 << 10, 1 << 20, 1 << 20}
	go func() {
		for i, n := range sizes {
			w.WriteFrames([]wire.OutFrame{{Body: bytes.Repeat([]byte{byte(i + 1)}, n)}})
		}
	}()
	read := func(i int) ([]byte, *Buf) {
		t.Helper()
		f, err := r.ReadFrame()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(f, bytes.Repeat([]byte{byte(i + 1)}, sizes[i])) {
			t.Fatalf("frame %d: wrong bytes", i)
		}
		return f, r.TakeBuf()
	}
	f0, b0 := read(0)
	if b0 == nil {
		t.Fatal("a 1 MiB frame is not in a pooled buffer")
	}
	if _, b1 := read(1); b1 != nil {
		t.Fatal("a 100 B frame is in a pooled buffer")
	}
	_, b2 := read(2)
	if &b2.b[0] == &b0.b[0] {
		t.Fatal("a buffer still held was reused")
	}
	if f0[0] != 1 {
		t.Fatal("a frame still held changed")
	}
	b0.Retain()
	b0.Release()
	if pool.Held() != 0 {
		t.Fatal("a buffer with a reference left went back to the pool")
	}
	mem0 := &b0.b[0]
	b0.Release()
	b2.Release()
	if got := pool.Held(); got != 3<<20 {
		t.Fatalf("pool holds %d bytes, want two 1.5 MiB buffers", got)
	}
	_, b3 := read(3) // 300 KiB: another class
	b3.Release()
	if got := pool.Held(); got != 3<<20 {
		t.Fatalf("pool holds %d bytes past its limit of %d", got, 3<<20)
	}
	_, b4 := read(4)
	_, b5 := read(5)
	if &b4.b[0] != mem0 && &b5.b[0] != mem0 {
		t.Fatal("a released buffer was not reused")
	}
}

// BenchmarkReadLarge reads 64 KiB and 1 MiB frames from a Unix socket into
// fresh memory and into pooled buffers (released at once, as a hub does
// once a frame is written).
func BenchmarkReadLarge(b *testing.B) {
	for _, size := range []int{64 << 10, 1 << 20} {
		for _, pooled := range []bool{false, true} {
			b.Run(fmt.Sprintf("size=%d/pool=%v", size, pooled), func(b *testing.B) {
				na, nb := socketPair(b)
				w, r := New(na, 2<<20, 0), New(nb, 2<<20, 0)
				if pooled {
					r.SetPool(NewPool(16 << 20))
				}
				body := make([]byte, size)
				go func() {
					for range b.N {
						if w.WriteFrames([]wire.OutFrame{{Body: body}}) != nil {
							return
						}
					}
				}()
				b.SetBytes(int64(size))
				b.ReportAllocs()
				for range b.N {
					if _, err := r.ReadFrame(); err != nil {
						b.Fatal(err)
					}
					if buf := r.TakeBuf(); buf != nil {
						buf.Release()
					}
				}
			})
		}
	}
}

// TestPooledMixedFrames reads frames of every size around the slab and
// class limits through a pool, releasing each large one at once: every
// frame has the bytes written, small ones stay unchanged afterwards.
func TestPooledMixedFrames(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	w, r := New(a, 4<<20, 0), New(b, 4<<20, 0)
	r.SetPool(NewPool(4 << 20))
	sizes := []int{1, maxBuffer - 4, maxBuffer, maxBuffer + 1, 100, 128 << 10, 7, 1 << 20, 1 << 20, 3, 200 << 10, 2 << 20, 50}
	go func() {
		for round := range 3 {
			var batch []wire.OutFrame
			for i, n := range sizes {
				batch = append(batch, wire.OutFrame{Body: bytes.Repeat([]byte{byte(round*len(sizes) + i)}, n)})
			}
			w.WriteFrames(batch)
		}
	}()
	var small [][]byte
	for round := range 3 {
		for i, n := range sizes {
			f, err := r.ReadFrame()
			if err != nil {
				t.Fatal(err)
			}
			want := bytes.Repeat([]byte{byte(round*len(sizes) + i)}, n)
			if !bytes.Equal(f, want) {
				t.Fatalf("round %d, frame %d of %d bytes: wrong bytes", round, i, n)
			}
			if buf := r.TakeBuf(); buf != nil {
				buf.Release()
			} else {
				small = append(small, f)
			}
		}
	}
	for _, f := range small {
		if !bytes.Equal(f, bytes.Repeat(f[:1], len(f))) {
			t.Fatal("a frame in the connection's own memory changed")
		}
	}
}

// TestPoolTrim: Trim keeps the free buffers of a pool in use since the
// last Trim and lets go of those of one that was not.
func TestPoolTrim(t *testing.T) {
	p := NewPool(8 << 20)
	b := p.get(1 << 20)
	b.Release()
	held := p.Held()
	if held == 0 {
		t.Fatal("a released buffer did not go back to the pool")
	}
	p.Trim()
	if p.Held() != held {
		t.Fatalf("Trim right after a get: %d bytes held, want %d", p.Held(), held)
	}
	p.Trim()
	if p.Held() != 0 {
		t.Fatalf("Trim of an idle pool: %d bytes held, want 0", p.Held())
	}
	if b := p.get(1 << 20); b == nil || len(b.b) < 1<<20 {
		t.Fatal("a trimmed pool gives no buffer")
	}
}

// TestPoolTrimEvery: a pool that trims itself keeps a timer only while it
// is in use, and lets go of its buffers at the second tick after its last
// use. (The ticks are called here; the interval is too long to fire.)
func TestPoolTrimEvery(t *testing.T) {
	p := NewPool(8 << 20)
	p.TrimEvery(time.Hour)
	timer := func() bool {
		p.mu.Lock()
		defer p.mu.Unlock()
		return p.timer != nil
	}
	if timer() {
		t.Fatal("an unused pool has a timer")
	}
	p.get(1 << 20).Release()
	if !timer() || p.Held() == 0 {
		t.Fatalf("after a get: timer %v, %d bytes held", timer(), p.Held())
	}
	p.trimItself()
	if !timer() || p.Held() == 0 {
		t.Fatalf("first tick after a get: timer %v, %d bytes held; want both kept", timer(), p.Held())
	}
	p.trimItself()
	if timer() || p.Held() != 0 {
		t.Fatalf("second tick, idle: timer %v, %d bytes held; want neither", timer(), p.Held())
	}
	p.get(1 << 20).Release()
	if !timer() {
		t.Fatal("a pool used again does not trim itself")
	}
}

// TestPooledSlabs: a busy connection with a slab pool reads small frames
// into pooled 64 KiB slabs. A slab goes back to the pool once the reader
// left it and every frame taken from it was released, and is read into
// again; a frame whose buffer was not taken keeps its bytes for good.
func TestPooledSlabs(t *testing.T) {
	na, nb := socketPair(t)
	pool := NewPool(8 << 20)
	w, r := New(na, 1<<20, 0), New(nb, 1<<20, 0)
	r.SetSlabPool(pool)
	const n, size = 20000, 200
	frame := func(i int) []byte { return bytes.Repeat([]byte{byte(i), byte(i >> 8)}, size/2) }
	go func() {
		batch := make([]wire.OutFrame, 0, 64)
		for i := range n {
			batch = append(batch, wire.OutFrame{Body: frame(i)})
			if len(batch) == cap(batch) || i == n-1 {
				if w.WriteFrames(batch) != nil {
					return
				}
				batch = batch[:0]
			}
		}
	}()
	type kept struct {
		i int
		f []byte
	}
	var pinned []kept
	slabs := map[*byte]int{} // the pooled slabs seen, by their first byte
	for i := range n {
		f, err := r.ReadFrame()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(f, frame(i)) {
			t.Fatalf("frame %d: wrong bytes", i)
		}
		if i == n/4 || i == n/2 {
			pinned = append(pinned, kept{i, f}) // its buffer not taken: kept for good
			continue
		}
		if b := r.TakeBuf(); b != nil {
			slabs[&b.b[0]]++
			b.Release()
		}
	}
	if len(slabs) == 0 {
		t.Fatal("no frame was read into a pooled slab")
	}
	reused := false
	for _, frames := range slabs {
		reused = reused || frames > (64<<10)/(size+4)
	}
	if !reused {
		t.Fatalf("no pooled slab was read into twice (%d slabs for %d frames)", len(slabs), n)
	}
	for _, k := range pinned {
		if !bytes.Equal(k.f, frame(k.i)) {
			t.Fatalf("frame %d, kept without its buffer, changed", k.i)
		}
	}
}

// socketPair returns the two ends of a Unix socket pair, closed when tb
// ends.
func socketPair(tb testing.TB) (net.Conn, net.Conn) {
	tb.Helper()
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	if err != nil {
		tb.Fatal(err)
	}
	fa, fb := os.NewFile(uintptr(fds[0]), "a"), os.NewFile(uintptr(fds[1]), "b")
	na, errA := net.FileConn(fa)
	nb, errB := net.FileConn(fb)
	fa.Close()
	fb.Close()
	if errA != nil || errB != nil {
		tb.Fatal(errA, errB)
	}
	tb.Cleanup(func() { na.Close(); nb.Close() })
	return na, nb
}
