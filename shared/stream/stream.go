//go:build !js

// Package stream carries ipcbus frames over a byte stream (a Unix socket or
// a TCP connection), each frame preceded by its length as a 4-byte
// big-endian integer, and over a WebSocket, one frame per binary message.
// The hub and the native client both use it.
package stream

import (
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"sync"
	"syscall"
	"time"

	"github.com/ipcbus/ipcbus/shared/wire"
)

const (
	// A connection reads into slabs: each frame read is a slice of one, and
	// a slab is never written again once a frame is returned from it, so
	// frames are the reader's to keep. Slabs start at minBuffer bytes and
	// double while a connection is busy, up to maxBuffer, so that an idle
	// connection costs little. A frame larger than maxBuffer gets a slab of
	// its own size.
	minBuffer = 512
	maxBuffer = 64 << 10
	// coalesceMax: frames up to this size are copied into one write
	// buffer; larger ones are written from where they are (writev).
	coalesceMax = 16 << 10
	// Up to keepChunks write buffers (from chunkPools, sized to the batch
	// up to maxBuffer, given back after each WriteFrames: an idle
	// connection holds none) are used by one WriteFrames before what they
	// gather is written.
	keepChunks = 4
)

// chunkPools[i] holds write buffers of minBuffer<<(2*i) bytes, 512 B to
// 128 KiB: a batch gets the smallest that holds its small frames.
var chunkPools [5]sync.Pool

// chunkClass returns the class of the write buffer for n bytes.
func chunkClass(n int) int {
	i := 0
	for i < len(chunkPools)-1 && minBuffer<<(2*i) < min(n, maxBuffer) {
		i++
	}
	return i
}

func getChunk(class int) *[]byte {
	if b, _ := chunkPools[class].Get().(*[]byte); b != nil {
		return b
	}
	b := make([]byte, 0, minBuffer<<(2*class))
	return &b
}

func putChunk(b *[]byte) {
	class := chunkClass(cap(*b))
	if minBuffer<<(2*class) == cap(*b) {
		*b = (*b)[:0]
		chunkPools[class].Put(b)
	}
}

// Conn reads and writes whole frames on a net.Conn. ReadFrame and
// WriteFrames may be called concurrently with each other, each from one
// goroutine at a time.
type Conn struct {
	nc           net.Conn
	raw          syscall.RawConn // nc's, for ReadReady; nil: none
	slab         []byte          // the read slab: [r:w] is read and not yet returned
	r, w         int
	busy         bool // the last read filled the room it was given
	maxFrame     int
	writeTimeout time.Duration
	chunks       []*[]byte // the write buffers of the WriteFrames in progress
	bufs         net.Buffers
	pool         *Pool  // large frames are read into its buffers; nil: fresh memory
	slabPool     *Pool  // a busy connection's slabs come from it; nil: fresh memory
	slabBuf      *Buf   // the pool's buffer the slab is, if it is one
	shared       bool   // slabBuf holds small frames: the reader has a reference, and each frame returned from it one
	last         *Buf   // the pool's buffer of the frame last returned, until TakeBuf
	spare        []byte // a slab no frame was returned from, left for a pooled one: the next slab
}

// New wraps nc. maxFrame bounds the frames read; writeTimeout, when
// positive, bounds each WriteFrames call.
func New(nc net.Conn, maxFrame int, writeTimeout time.Duration) *Conn {
	return &Conn{nc: nc, maxFrame: maxFrame, writeTimeout: writeTimeout}
}

// SetRaw gives the connection the raw connection under nc (whose reads
// must be nc's), for ReadReady.
func (c *Conn) SetRaw(rc syscall.RawConn) { c.raw = rc }

// Raw returns the raw connection given to SetRaw, or nil.
func (c *Conn) Raw() syscall.RawConn { return c.raw }

// SetReadDeadline sets the deadline of the reads of ReadFrame: one that
// passes returns an error whose Timeout is true, and ReadFrame may be
// called again, to go on where it was.
func (c *Conn) SetReadDeadline(t time.Time) error { return c.nc.SetReadDeadline(t) }

// HasFrame says whether a whole frame is read and not yet returned, which
// ReadFrame then returns without reading.
func (c *Conn) HasFrame() bool {
	if c.w-c.r < wire.FrameHeaderLen {
		return false
	}
	n := int64(binary.BigEndian.Uint32(c.slab[c.r:]))
	return int64(c.w-c.r) >= wire.FrameHeaderLen+n
}

// ReadReady reads, without waiting, what the socket holds, and says
// whether anything is read and not yet returned, or an error or the end
// of the stream waits for ReadFrame to return. When it reports false it
// has let go of its read slab: an idle connection holds no read memory.
// Without a raw connection (SetRaw) it reports true.
func (c *Conn) ReadReady() bool {
	if c.raw == nil || c.w > c.r {
		return true
	}
	if len(c.slab)-c.w < minBuffer/4 {
		c.leaveSlab()
		c.slab, c.r, c.w = nil, 0, 0
	}
	if c.slab == nil {
		if len(c.spare) >= minBuffer {
			c.slab, c.spare = c.spare, nil
		} else {
			c.slab = make([]byte, minBuffer)
		}
	}
	n, ok := readNow(c.raw, c.slab[c.w:])
	if ok {
		c.w += n
		return true // bytes, the end of the stream (0) or an error, for ReadFrame's read
	}
	// Nothing waits: hold no memory while idle.
	c.leaveSlab()
	c.slab, c.r, c.w, c.spare = nil, 0, 0, nil
	return false
}

// leaveSlab drops the reader's hold on the slab's pooled buffer: a slab
// of small frames goes back to the pool once the frames taken from it
// are released. (A large frame's buffer is the frame's.)
func (c *Conn) leaveSlab() {
	if c.slabBuf != nil && c.shared {
		c.slabBuf.Release()
	}
	c.slabBuf, c.shared = nil, false
}

// SetMaxFrame changes the largest frame ReadFrame accepts.
func (c *Conn) SetMaxFrame(n int) { c.maxFrame = n }

// SetPool makes ReadFrame read frames larger than the slabs into buffers
// of p, so that their memory is reused once they are done with (see
// TakeBuf and Buf).
func (c *Conn) SetPool(p *Pool) { c.pool = p }

// SetSlabPool makes a busy connection's slabs of small frames (64 KiB
// ones) come from p too: a slab goes back once the reader left it and
// every frame taken from it (TakeBuf) is released. For a caller that
// takes the buffers of the frames it is done with quickly (a hub's
// forwarded frames) and keeps the others.
func (c *Conn) SetSlabPool(p *Pool) { c.slabPool = p }

// TakeBuf returns the pool's buffer that holds the frame ReadFrame last
// returned, with one reference for the caller, or nil when the frame is in
// memory of the connection's own. Once the caller releases the reference,
// the frame's memory may be reused. A buffer not taken before the next
// ReadFrame keeps that frame for good (the buffer is then left to the
// collector), so a caller that never takes buffers may keep every frame.
func (c *Conn) TakeBuf() *Buf {
	b := c.last
	c.last = nil
	return b
}

// ReadFrame returns the next frame, in memory the caller may keep. A frame
// over the limit returns an error wrapping wire.ErrFrameTooLarge, and the
// stream is then unusable.
func (c *Conn) ReadFrame() ([]byte, error) {
	c.last = nil
	if err := c.fill(wire.FrameHeaderLen); err != nil {
		return nil, err
	}
	n := int(binary.BigEndian.Uint32(c.slab[c.r:]))
	if n > c.maxFrame || n < 0 {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", wire.ErrFrameTooLarge, n, c.maxFrame)
	}
	need := wire.FrameHeaderLen + n
	if err := c.fill(need); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	f := c.slab[c.r+wire.FrameHeaderLen : c.r+need : c.r+need]
	c.r += need
	switch {
	case c.slabBuf == nil:
	case c.shared:
		// A frame of a pooled slab of small frames holds it too.
		c.slabBuf.Retain()
		c.last = c.slabBuf
	case c.r == len(c.slab):
		// A pooled slab holds this one frame (see fill).
		c.last, c.slabBuf = c.slabBuf, nil
	}
	return f, nil
}

// Buffered returns the number of bytes read and not yet returned: while it
// is not 0, ReadFrame may not need to wait.
func (c *Conn) Buffered() int { return c.w - c.r }

// fill reads until at least k bytes are read and not yet returned.
func (c *Conn) fill(k int) error {
	if c.w-c.r >= k {
		return nil
	}
	if len(c.slab)-c.r < k {
		// No room for k here: continue in a new slab, leaving the frames
		// returned from this one alone.
		size := minBuffer
		if c.busy && len(c.slab) > 0 {
			size = min(2*len(c.slab), maxBuffer)
		}
		var slab []byte
		old, oldBuf, oldShared := c.slab, c.slabBuf, c.shared
		unused := c.r == 0 && c.slabBuf == nil // no frame was returned from old
		c.slabBuf, c.shared = nil, false
		if k > maxBuffer {
			if unused {
				// Kept for the frames after this large one, which then
				// need no new slab: what it holds is copied below.
				c.spare = old
			}
			if c.pool != nil {
				// A pooled buffer cut to the frame, so that it holds this
				// frame alone and goes back to the pool with it.
				if b := c.pool.get(k); b != nil {
					c.slabBuf, slab = b, b.b[:k]
				}
			}
		}
		if slab == nil && len(c.spare) >= max(size, k) {
			slab, c.spare = c.spare, nil
		}
		if slab == nil && size == maxBuffer && k <= maxBuffer && c.slabPool != nil {
			// A busy connection's slab of small frames, from the pool:
			// back to it once the reader and every frame taken from it
			// are done (frames not taken keep it: see TakeBuf).
			if b := c.slabPool.get(maxBuffer); b != nil {
				c.slabBuf, c.shared, slab = b, true, b.b[:maxBuffer]
			}
		}
		if slab == nil {
			slab = make([]byte, max(size, k))
		}
		c.w = copy(slab, c.slab[c.r:c.w])
		c.slab, c.r = slab, 0
		if oldBuf != nil && oldShared {
			oldBuf.Release() // after the copy: the pool may hand it out again
		}
	}
	for c.w-c.r < k {
		m, err := c.nc.Read(c.slab[c.w:])
		c.busy = c.w+m == len(c.slab)
		c.w += m
		if err != nil {
			if c.w-c.r >= k {
				return nil
			}
			if err == io.EOF && c.w > c.r {
				err = io.ErrUnexpectedEOF
			}
			return err
		}
	}
	return nil
}

// WriteFrames writes the frames in one writev: small frames are copied
// together into write buffers, large ones written from their own memory.
func (c *Conn) WriteFrames(frames []wire.OutFrame) error {
	if c.writeTimeout > 0 {
		c.nc.SetWriteDeadline(time.Now().Add(c.writeTimeout))
	}
	var err error
	bufs := c.bufs[:0]
	used := 0 // chunks of c.chunks in use
	var buf []byte
	start := 0 // where the part of buf not yet in bufs begins
	flush := func() {
		if len(buf) > start {
			bufs = append(bufs, buf[start:len(buf):len(buf)])
		}
		start = len(buf)
	}
	want := 0 // the bytes the small frames of the batch take
	for _, f := range frames {
		if n := f.Len(); n <= coalesceMax {
			want += 4 + n
		}
	}
	class := chunkClass(want)
	// next returns an empty write buffer. When every buffer in use is
	// full, what is gathered is written first so that they can be reused.
	next := func() []byte {
		if used == keepChunks && err == nil {
			all := bufs
			_, err = all.WriteTo(c.nc)
			clear(bufs)
			bufs, used = bufs[:0], 0
		}
		if used == len(c.chunks) {
			c.chunks = append(c.chunks, getChunk(class))
			class = chunkClass(maxBuffer) // a batch that fills one
		}
		used++
		return (*c.chunks[used-1])[:0]
	}
	buf = next()
	for _, f := range frames {
		n := f.Len()
		small := n <= coalesceMax
		if room := cap(buf) - len(buf); room < 4+min(n, coalesceMax) {
			flush()
			buf, start = next(), 0
		}
		buf = wire.AppendStreamHeader(buf, n)
		for _, piece := range [3][]byte{f.Head, f.Body, f.Tail} {
			if small || len(piece) <= cap(buf)-len(buf) && len(piece) <= coalesceMax {
				buf = append(buf, piece...)
				continue
			}
			flush()
			bufs = append(bufs, piece)
		}
	}
	flush()
	if err == nil {
		all := bufs
		_, err = all.WriteTo(c.nc)
	}
	clear(bufs)
	c.bufs = bufs[:0]
	for i, b := range c.chunks {
		putChunk(b)
		c.chunks[i] = nil
	}
	c.chunks = c.chunks[:0]
	return err
}

// Close closes the connection.
func (c *Conn) Close() error { return c.nc.Close() }
