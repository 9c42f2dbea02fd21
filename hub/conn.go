package hub

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/ipcbus/ipcbus/shared/stream"
	"github.com/ipcbus/ipcbus/shared/wire"
)

// Connection states, guarded by conn.omu.
const (
	connOpen    = iota
	connClosing // a close frame is queued; the writer stops after it
	connClosed  // the transport is closed
)

// conn is one client connection: a reader goroutine that parses and routes
// frames, and a writer goroutine that sends the outbound queue. Neither
// lives while the connection is idle: the writer runs while there is
// something to write, and the reader of a Unix or TCP connection that read
// nothing for parkAfter ends, its connection parked (park_linux.go), until
// bytes arrive.
type conn struct {
	h      *Hub
	id     uint64
	kind   string // "unix", "tcp", "ws"
	remote string
	since  time.Time
	t      transport

	credPID int              // the peer's pid from its credentials (Unix sockets), else 0
	refusal *wire.CloseError // set at accept: closed with it before hello

	// Set by the reader at hello, under h.router.mu.
	process  wire.Process
	welcomed atomic.Bool

	// Guarded by h.router.mu. peers is added to only by this conn's reader
	// goroutine; cut (set once, see cutConn) makes the router refuse more.
	peers    map[uint64]*peer
	subCount int
	cut      bool
	cutPeers string // the peers it had when cut, for its closing log line

	// Guarded by h.requests.mu: this conn's requests, client id → hub id.
	asked map[uint64]uint64

	// Guarded by h.ports.mu: the relayed port ends on this conn, by its id for them.
	ports map[uint64]*relay

	omu        sync.Mutex
	queue      []wire.OutFrame
	pending    int           // bytes queued or being written
	stall      chan struct{} // set while pending is over the high-water mark; closed below the low one
	stallSpent time.Duration // publisher time spent waiting on this conn in the current episode
	state      int
	code       wire.CloseCode
	reason     string
	writing    bool // a write is under way: a writer goroutine runs, or enqueue writes (writeInline)

	// Traffic, for metrics and state: frames and bytes read (by the reader)
	// and written (by the writer).
	framesIn, bytesIn, framesOut, bytesOut atomic.Uint64

	dec      wire.Decoder    // the reader's
	st       *stream.Conn    // t, when it is a stream
	raw      syscall.RawConn // the reader's: st's socket, while it may be parked; else nil
	polled   bool            // the reader's: raw is registered with the parker
	inBuf    *stream.Buf     // the reader's: the pooled buffer of the frame being handled, if recyclable
	burst    []*conn         // the reader's: receivers whose writer waits for the end of its burst (see enqueueFrom)
	lastRead atomic.Int64    // unix nanoseconds of the last frame read
	pingsOut atomic.Int32
}

// serveConn starts the goroutines of a new connection, or closes it when
// the hub is shutting down. pid is the peer's from its credentials (0:
// unknown); a connection with a refusal is closed with it before hello.
func (h *Hub) serveConn(kind, remote string, t transport, pid int, refusal *wire.CloseError) {
	c := &conn{
		h:       h,
		id:      h.nextConn.Add(1),
		kind:    kind,
		remote:  remote,
		since:   time.Now(),
		t:       t,
		credPID: pid,
		refusal: refusal,
		peers:   make(map[uint64]*peer),
		asked:   make(map[uint64]uint64),
		ports:   make(map[uint64]*relay),
	}
	c.lastRead.Store(time.Now().UnixNano())
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closing {
		t.Close()
		return
	}
	h.parkOnce.Do(func() {
		if h.park = newParker(); h.park != nil {
			h.goTrackedLocked(func() { h.park.loop(h.quit) })
		}
	})
	if st, ok := t.(*stream.Conn); ok {
		c.st = st
		if h.park != nil {
			c.raw = st.Raw()
		}
	}
	h.conns[c] = struct{}{}
	// The connection counts as one of the hub's goroutines from here to
	// the end of its teardown, whichever goroutine reads it: its reader
	// and writer may start and end meanwhile.
	h.wg.Add(1)
	go c.readLoop()
}

// enqueue queues a frame for the writer. A connection whose queue would pass
// MaxPendingBytes is closed as a slow consumer; enqueue never blocks. It
// returns the channel a publisher may wait on (see waitDrained) when the
// queue is over its high-water mark, else nil.
func (c *conn) enqueue(frame wire.OutFrame) (stall chan struct{}) {
	return c.enqueueFrom(frame, nil)
}

// enqueueFrom is enqueue on the reader goroutine of from, the connection
// whose frame this one forwards. When c has nothing queued and no write
// under way, a frame for a Unix or TCP connection is written at once, on
// the caller's goroutine, unless more of from's frames are read and
// waiting: then c's writer is started once they are all handled
// (from.flushBurst), so that a burst is written in batches and not frame
// by frame. With from nil (another hub's messages, the hub's own frames)
// the frame goes to the writer: such a caller cannot tell a burst.
func (c *conn) enqueueFrom(frame wire.OutFrame, from *conn) (stall chan struct{}) {
	c.omu.Lock()
	if c.state != connOpen {
		c.omu.Unlock()
		return nil
	}
	if c.pending+frame.Len() > c.h.cfg.MaxPendingBytes {
		c.omu.Unlock()
		c.closeWith(wire.CloseSlowConsumer, fmt.Sprintf("outbound queue over %d bytes", c.h.cfg.MaxPendingBytes))
		return nil
	}
	idle := !c.writing // then nothing is queued: the writer ends with the queue empty
	burst := idle && from != nil && from.st != nil && from.st.HasFrame()
	if idle && from != nil && !burst && c.st != nil && frame.Len() <= inlineMax {
		c.writing = true
		c.pending += frame.Len()
		c.omu.Unlock()
		c.writeInline(frame)
		return nil
	}
	c.queue = append(c.queue, frame)
	c.pending += frame.Len()
	stall = c.stalledLocked()
	c.writing = true
	c.omu.Unlock()
	switch {
	case burst:
		from.burst = append(from.burst, c)
	case idle:
		c.startWriter(nil)
	}
	return stall
}

// flushBurst starts the writers of the connections that c's reader queued
// frames for while more of its frames waited (see enqueueFrom). A
// publisher flushes before it waits for a receiver to drain. c may be nil.
func (c *conn) flushBurst() {
	if c == nil {
		return
	}
	for i, r := range c.burst {
		r.startWriter(nil)
		c.burst[i] = nil
	}
	c.burst = c.burst[:0]
}

// wantWriterLocked reports whether a writer is to be started for what was
// queued, and marks it running. c.omu is held.
func (c *conn) wantWriterLocked() bool {
	if c.writing {
		return false
	}
	c.writing = true
	return true
}

// startWriter starts the writer, which writes first's rest (if not nil)
// and then the queue, and ends once the queue is empty. The
// connection is the hub's (h.wg) until its teardown ends, and a writer is
// only started before then.
func (c *conn) startWriter(first *inlineRest) {
	c.h.wg.Add(1)
	go func() {
		defer c.h.wg.Done()
		c.writeLoop(first)
	}()
}

// Stalling: a connection whose queue passes three quarters of its limit
// makes the publishers that feed it wait a little (stallWait per frame, at
// most stallBudget in all until it drains below half), so that a burst does
// not cut off a consumer that keeps up on average. One that does not drain
// within the budget is left to reach its limit and be closed.
const (
	stallWait   = 20 * time.Millisecond
	stallBudget = time.Second
)

// stalledLocked returns the channel a publisher may wait on for c to
// drain, or nil when c is not over its high-water mark or has used its
// budget. c.omu is held.
func (c *conn) stalledLocked() chan struct{} {
	if c.state != connOpen || c.pending <= c.h.cfg.MaxPendingBytes/4*3 || c.stallSpent >= stallBudget {
		return nil
	}
	if c.stall == nil {
		c.stall = make(chan struct{})
	}
	return c.stall
}

// waitDrained waits, bounded, for c to drain below its low-water mark.
func (c *conn) waitDrained(ch chan struct{}) {
	start := time.Now()
	t := time.NewTimer(stallWait)
	select {
	case <-ch:
	case <-t.C:
	}
	t.Stop()
	c.omu.Lock()
	c.stallSpent += time.Since(start)
	c.omu.Unlock()
}

// drainedLocked is called by the writer after writing: it ends a stall episode
// once the queue is below half its limit.
func (c *conn) drainedLocked() {
	if c.stall != nil && c.pending < c.h.cfg.MaxPendingBytes/2 {
		close(c.stall)
		c.stall = nil
		c.stallSpent = 0
	}
}

// signal tells the connection's goroutines that its transport was closed:
// a parked reader resumes, to find it so (a writer finds it by itself).
func (c *conn) signal() {
	if c.h.park != nil {
		c.h.park.unpark(c)
	}
}

// closeWith queues a close frame with code and reason, after which the
// writer closes the transport. For a slow consumer what was queued is
// dropped first, so that the reason gets through soon.
func (c *conn) closeWith(code wire.CloseCode, reason string) {
	c.omu.Lock()
	if c.state != connOpen {
		c.omu.Unlock()
		return
	}
	c.state = connClosing
	c.code, c.reason = code, reason
	c.h.stats.countClose(code)
	if code == wire.CloseSlowConsumer {
		c.queue, c.pending = nil, 0
		if c.stall != nil {
			close(c.stall)
			c.stall = nil
		}
	}
	body := wire.AppendStr(nil, reason)
	f, _ := wire.Append(nil, &wire.Frame{Kind: wire.KindClose, Code: uint16(code), Body: body})
	c.queue = append(c.queue, wire.OutFrame{Head: f})
	start := c.wantWriterLocked()
	c.omu.Unlock()
	if start {
		c.startWriter(nil)
	}
	if code == wire.CloseSlowConsumer {
		// Off the bus at once, not when the reader stops. The connection
		// is not torn down (the state was open), so the hub's goroutine
		// count is not 0 and may grow without h.mu, which the caller may
		// hold.
		c.h.wg.Add(1)
		go func() {
			defer c.h.wg.Done()
			c.h.tapSlowConsumer(c, reason)
			c.h.cutConn(c)
		}()
		// The close frame has a short while to get through a write the
		// consumer is not draining, then the socket is closed.
		time.AfterFunc(min(slowCloseGrace, c.h.cfg.WriteTimeout), c.abort)
		return
	}
	// A writer stuck on a peer that does not read gives up at its write
	// deadline; this bounds the rest.
	time.AfterFunc(c.h.cfg.WriteTimeout+time.Second, c.abort)
}

// slowCloseGrace is how long a connection cut as a slow consumer has to
// take its close frame before its socket is closed.
const slowCloseGrace = time.Second

// abort closes the transport at once, dropping what is queued.
func (c *conn) abort() {
	c.omu.Lock()
	if c.state == connClosed {
		c.omu.Unlock()
		return
	}
	c.state = connClosed
	c.queue, c.pending = nil, 0
	if c.stall != nil {
		close(c.stall)
		c.stall = nil
	}
	c.omu.Unlock()
	c.t.Close()
	c.signal()
}

// inlineMax bounds the frames enqueue writes on the publisher's goroutine
// when the receiver's queue is empty: a write wakes no writer goroutine
// then, which is most of a small frame's cost in the hub. Larger frames go
// to the writer, so that a publisher's copies to several receivers are not
// made one after the other.
const inlineMax = 64 << 10

// writeInline writes f, for which enqueue marked c writing, without
// waiting for room: what the socket does not take, and what was queued
// meanwhile, is left to a writer.
func (c *conn) writeInline(f wire.OutFrame) {
	rest, ok, err := c.st.WriteNow(f)
	switch {
	case !ok:
		// Not written at all: the writer writes it first.
		c.omu.Lock()
		c.queue = slices.Insert(c.queue, 0, f)
		c.omu.Unlock()
		c.startWriter(nil)
	case err == nil && len(rest) > 0:
		c.startWriter(&inlineRest{f, rest})
	default:
		if !c.wrote([]wire.OutFrame{f}, f.Len(), err) {
			return
		}
		c.omu.Lock()
		more := len(c.queue) > 0
		c.writing = more
		c.omu.Unlock()
		if more {
			c.startWriter(nil)
		}
	}
}

// inlineRest is the part of a frame that writeInline could not write.
type inlineRest struct {
	f    wire.OutFrame
	rest net.Buffers
}

// writeLoop writes first's rest, if any, then what is queued until the
// queue is empty, and ends (an idle connection has no writer); after a
// close frame it closes the transport.
func (c *conn) writeLoop(first *inlineRest) {
	if first != nil {
		if !c.wrote([]wire.OutFrame{first.f}, first.f.Len(), c.st.WriteRest(first.rest)) {
			return
		}
	}
	var spare []wire.OutFrame
	for {
		c.omu.Lock()
		batch, state := c.queue, c.state
		if state == connClosed || len(batch) == 0 {
			c.writing = false
			c.queue = nil // an idle connection holds no queue
			c.omu.Unlock()
			if state == connClosing {
				c.abort()
			}
			return
		}
		c.queue = spare[:0]
		c.omu.Unlock()
		// The two slices swap roles each round: what was written becomes
		// the queue to fill next.
		spare = batch
		n := 0
		for _, f := range batch {
			n += f.Len()
		}
		err := c.t.WriteFrames(batch)
		ok := c.wrote(batch, n, err)
		clear(batch)
		if !ok {
			return
		}
	}
}

// wrote accounts for batch, n bytes, written with the result err: it
// releases the frames' buffers and, when err is not nil, ends the writing
// and closes the connection, and reports false.
func (c *conn) wrote(batch []wire.OutFrame, n int, err error) bool {
	for _, f := range batch {
		if f.Ref != nil {
			f.Ref.Release()
		}
	}
	if err == nil {
		c.framesOut.Add(uint64(len(batch)))
		c.bytesOut.Add(uint64(n))
	}
	c.omu.Lock()
	c.pending -= n
	c.drainedLocked()
	c.omu.Unlock()
	if err == nil {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		c.h.stats.countClose(wire.CloseSlowConsumer)
		c.setReason(wire.CloseSlowConsumer, "write timed out")
	}
	c.omu.Lock()
	c.writing = false
	c.omu.Unlock()
	c.abort()
	return false
}

// setReason records why the connection ends, unless a reason is recorded.
func (c *conn) setReason(code wire.CloseCode, reason string) {
	c.omu.Lock()
	if c.code == 0 {
		c.code, c.reason = code, reason
	}
	c.omu.Unlock()
}

func (c *conn) readLoop() {
	err := c.greet()
	if err == nil {
		err = c.readFrames()
	}
	if err == errParked {
		return // resume reads on
	}
	c.teardown(err)
}

// resume is the reader of a parked connection that is readable or closed.
func (c *conn) resume() {
	if err := c.readFrames(); err != errParked {
		c.teardown(err)
	}
}

// parkAfter is how long a Unix or TCP connection reads nothing before it
// is parked: its reader ends and the parker starts another when bytes
// arrive (see park_linux.go), so that an idle connection holds no
// goroutine and no buffers.
const parkAfter = 100 * time.Millisecond

// errParked ends a reader whose connection was parked.
var errParked = errors.New("parked")

// quiet is called when the reader's deadline passed: it reports whether
// the connection read nothing for parkAfter, else moves the deadline to
// parkAfter after the last frame read.
func (c *conn) quiet() bool {
	last := time.Unix(0, c.lastRead.Load())
	if time.Since(last) < parkAfter {
		c.st.SetReadDeadline(last.Add(parkAfter))
		return false
	}
	return true
}

// park parks the connection unless bytes arrived or it cannot be parked
// (then its reads wait as usual, with no deadline). It reports whether
// it was parked, after which the reader may touch the connection no more.
func (c *conn) park() bool {
	c.st.SetReadDeadline(time.Time{}) // else the raw read fails at once
	if c.st.ReadReady() {
		c.st.SetReadDeadline(time.Now().Add(parkAfter))
		return false
	}
	if c.h.park.park(c) {
		return true
	}
	c.raw = nil
	return false
}

// greet refuses the connection when it was refused at accept or when too
// many wait for hello, else handshakes within HandshakeTimeout.
func (c *conn) greet() error {
	if c.refusal != nil {
		c.closeWith(c.refusal.Code, c.refusal.Reason)
		return c.refusal
	}
	if n := c.h.pendingHello.Add(1); n > int64(c.h.cfg.MaxPendingHello) {
		c.h.pendingHello.Add(-1)
		err := fault(wire.CloseLimit, "over %d connections waiting for hello", c.h.cfg.MaxPendingHello)
		c.closeWith(wire.CloseLimit, err.(*wire.CloseError).Reason)
		return err
	}
	hsTimer := time.AfterFunc(c.h.cfg.HandshakeTimeout, func() {
		c.closeWith(wire.CloseHandshakeTimeout, fmt.Sprintf("no hello within %v", c.h.cfg.HandshakeTimeout))
	})
	err := c.handshake()
	hsTimer.Stop()
	if err != nil {
		c.h.pendingHello.Add(-1)
	}
	return err
}

func (c *conn) readFrames() error {
	if c.raw != nil {
		c.st.SetReadDeadline(time.Now().Add(parkAfter))
	}
	for {
		b, err := c.readFrame()
		if err != nil {
			if c.raw != nil && errors.Is(err, os.ErrDeadlineExceeded) {
				if c.quiet() && c.park() {
					return errParked
				}
				continue
			}
			c.flushBurst() // a frame waited, but it was refused
			return err
		}
		c.lastRead.Store(time.Now().UnixNano())
		c.pingsOut.Store(0)
		buf := pooledBuf(c.t)
		c.framesIn.Add(1)
		c.bytesIn.Add(uint64(len(b)))
		f, err := c.dec.Decode(b)
		if err != nil {
			c.flushBurst()
			c.closeWith(wire.CloseProtocolError, err.Error())
			return err
		}
		if buf != nil && recyclable(&f) {
			c.inBuf = buf // deliveries of f.Body retain it
		}
		err = c.handle(&f)
		if c.inBuf != nil {
			c.inBuf.Release()
			c.inBuf = nil
		}
		// Bursts end when no frame waits, and with the reader (a parked
		// one ends with none waiting, so with its burst flushed).
		if len(c.burst) > 0 && (err != nil || !c.st.HasFrame()) {
			c.flushBurst()
		}
		if err != nil {
			var ce *wire.CloseError
			if errors.As(err, &ce) {
				c.closeWith(ce.Code, ce.Reason)
			}
			return err
		}
	}
}

// readFrame reads the next frame; a frame the transport refuses closes
// the connection with the matching reason.
func (c *conn) readFrame() ([]byte, error) {
	b, err := c.t.ReadFrame()
	switch {
	case errors.Is(err, wire.ErrFrameTooLarge):
		c.closeWith(wire.CloseFrameTooLarge, err.Error())
	case errors.Is(err, wire.ErrMalformed):
		c.closeWith(wire.CloseProtocolError, err.Error())
	}
	return b, err
}

// fault is the error a frame handler returns to close its connection.
func fault(code wire.CloseCode, format string, args ...any) error {
	return &wire.CloseError{Code: code, Reason: fmt.Sprintf(format, args...)}
}

// errClientClosed ends the reader when the client said goodbye.
var errClientClosed = errors.New("closed by the client")

// handshake reads hello and answers welcome, or closes with the reason.
func (c *conn) handshake() error {
	b, err := c.readFrame()
	if err != nil {
		return err
	}
	f, err := wire.Decode(b)
	if err != nil {
		c.closeWith(wire.CloseProtocolError, err.Error())
		return err
	}
	if f.Kind != wire.KindHello {
		err := fault(wire.CloseProtocolError, "want hello, got %v", f.Kind)
		c.closeWith(wire.CloseProtocolError, err.(*wire.CloseError).Reason)
		return err
	}
	hello, err := wire.DecodeHello(f.Body)
	if err != nil {
		c.closeWith(wire.CloseProtocolError, "bad hello: "+err.Error())
		return err
	}
	if hello.Version != wire.Version {
		reason := fmt.Sprintf("protocol version %d not spoken (this hub speaks %d)", hello.Version, wire.Version)
		c.closeWith(wire.CloseVersion, reason)
		return errors.New(reason)
	}
	// A Unix socket's peer was authenticated by its user at accept; TCP and
	// WebSocket connections present the token (a WebSocket also did in its
	// upgrade URL).
	if c.kind != "unix" && !tokenEqual(hello.Token, c.h.token) {
		c.closeWith(wire.CloseUnauthorized, "bad token")
		return errors.New("bad token")
	}
	if c.credPID != 0 {
		hello.Process.PID = c.credPID // the kernel's word, not the peer's
	}
	c.t.SetMaxFrame(c.h.cfg.MaxFrameBytes)
	c.h.router.mu.Lock() // State reads it under the router's lock
	c.process = hello.Process
	c.h.router.mu.Unlock()
	c.welcomed.Store(true)
	c.h.pendingHello.Add(-1) // before the welcome: a welcomed client finds room at once
	body := wire.AppendWelcome(nil, wire.Welcome{
		Version:        wire.Version,
		MaxFrameBytes:  c.h.cfg.MaxFrameBytes,
		PingIntervalMS: c.h.cfg.PingInterval.Milliseconds(),
		Hub:            c.h.cfg.Name,
	})
	w, _ := wire.Append(nil, &wire.Frame{Kind: wire.KindWelcome, ID: c.id, Body: body})
	c.enqueue(wire.OutFrame{Head: w})
	c.h.log.Debug("connection open", "conn", c.id, "transport", c.kind, "remote", c.remote, "process", c.process.Type, "pid", c.process.PID)
	return nil
}

// checkAlive pings a quiet connection and closes one that stopped answering.
func (c *conn) checkAlive(now time.Time, interval time.Duration, maxOut int) {
	if now.Sub(time.Unix(0, c.lastRead.Load())) < interval {
		return
	}
	if int(c.pingsOut.Load()) >= maxOut {
		c.closeWith(wire.CloseStale, fmt.Sprintf("%d pings unanswered", maxOut))
		return
	}
	n := c.pingsOut.Add(1)
	f, _ := wire.Append(nil, &wire.Frame{Kind: wire.KindPing, ID: uint64(n)})
	c.enqueue(wire.OutFrame{Head: f})
}

// teardown runs once the reader stops: the connection's peers leave the
// router, its requests are dropped, and one line is logged.
func (c *conn) teardown(err error) {
	defer c.h.wg.Done() // the connection's count, from serveConn
	c.closeWith(wire.CloseNormal, "")
	c.h.router.mu.RLock()
	peers := c.cutPeers
	if !c.cut {
		peers = peersLabelLocked(c)
	}
	c.h.router.mu.RUnlock()
	c.h.removeConnPeers(c)
	c.h.requests.dropConn(c)
	c.h.dropPorts(c)
	c.h.mu.Lock()
	delete(c.h.conns, c)
	c.h.stats.retireLocked(c)
	c.h.mu.Unlock()

	c.omu.Lock()
	code, reason := c.code, c.reason
	c.omu.Unlock()
	attrs := []any{"conn", c.id, "transport", c.kind, "remote", c.remote}
	if c.welcomed.Load() {
		attrs = append(attrs, "process", c.process.Type, "pid", c.process.PID)
	}
	if peers != "" {
		attrs = append(attrs, "peers", peers)
	}
	if !c.welcomed.Load() && code != wire.CloseShutdown {
		// Refused before hello: counted, not logged line by line.
		what := code.String()
		if code == 0 || code == wire.CloseNormal {
			what = "closed before hello"
		}
		c.h.refusals.add(c.kind, what)
		c.h.log.Debug("connection refused", append(attrs, "code", uint16(code), "reason", reason, "err", err)...)
		return
	}
	switch {
	case errors.Is(err, errClientClosed), code == wire.CloseNormal && (errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed)):
		c.h.log.Debug("connection closed", attrs...)
	case code == wire.CloseShutdown:
		c.h.log.Debug("connection closed", append(attrs, "reason", reason)...)
	case code != 0 && code != wire.CloseNormal:
		c.h.log.Warn("connection closed", append(attrs, "code", uint16(code), "reason", code.String()+": "+reason)...)
	default:
		c.h.log.Info("connection lost", append(attrs, "err", err)...)
	}
}
