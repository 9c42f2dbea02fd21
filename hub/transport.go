package hub

import (
	"net"
	"syscall"

	"github.com/ipcbus/ipcbus/shared/stream"
	"github.com/ipcbus/ipcbus/shared/wire"
)

// transport carries whole frames for one connection. ReadFrame is called by
// the reader goroutine and WriteFrames by the writer; Close makes both return.
type transport interface {
	ReadFrame() ([]byte, error) // in memory the hub may keep: payloads are forwarded from it
	WriteFrames(frames []wire.OutFrame) error
	SetMaxFrame(n int) // raised from Config.MaxHelloBytes once the connection said hello
	Close() error
}

func newStreamTransport(nc net.Conn, cfg Config, pool *stream.Pool) transport {
	t := stream.New(nc, cfg.MaxHelloBytes, cfg.WriteTimeout)
	t.SetPool(pool)
	t.SetSlabPool(pool)
	if gc, ok := nc.(*guardedConn); ok {
		nc = gc.Conn
	}
	if sc, ok := nc.(syscall.Conn); ok {
		if rc, err := sc.SyscallConn(); err == nil {
			t.SetRaw(rc) // for parking (conn.park)
		}
	}
	return t
}

// readPoolBytes bounds the free large-frame buffers a hub keeps (see
// stream.Pool): frames over 64 KiB read from Unix, TCP and WebSocket
// connections go into reused memory, returned once every receiver's write of the frame
// is done. 64 MiB is room for some forty 1 MiB frames in flight (16 MiB
// of them held the old 16 MiB limit's worth of 1.5 MiB buffers, and the
// rest went to the collector); a hub that read no large frame for a ping
// interval lets go of them all (Pool.Trim).
const readPoolBytes = 64 << 20

// pooledBuf returns the pool's buffer of the frame t read last, or nil
// (frames of 64 KiB or less).
func pooledBuf(t transport) *stream.Buf {
	if s, ok := t.(interface{ TakeBuf() *stream.Buf }); ok {
		return s.TakeBuf()
	}
	return nil
}

// recyclable says whether every use of f's body by its handler is counted
// (the deliveries of a send or request and the answer of a response hold
// a reference each): only then may its buffer go back to the pool once
// they are written. Other frames' buffers are left to the collector.
func recyclable(f *wire.Frame) bool {
	switch f.Kind {
	case wire.KindSend:
		return len(f.Ports) == 0
	case wire.KindRequest, wire.KindResponse:
		return true
	}
	return false
}

// pooled returns the pooled buffer of the frame c's reader is handling,
// or nil (c nil too).
func (c *conn) pooled() *stream.Buf {
	if c == nil {
		return nil
	}
	return c.inBuf
}

// withRef makes f hold a reference to ref, the pooled buffer its body is
// in (nil: none); the writer releases it once f is written.
func withRef(f wire.OutFrame, ref *stream.Buf) wire.OutFrame {
	if ref != nil {
		ref.Retain()
		f.Ref = ref
	}
	return f
}
