package bus

import (
	"context"

	"github.com/ipcbus/ipcbus/shared/wire"
)

// Transport carries whole frames to and from a hub. ReadFrame is called by
// one goroutine, WriteFrames by another; Close may be called at any time
// and must make both return.
type Transport interface {
	// ReadFrame returns the next frame, in memory the caller may keep.
	ReadFrame() ([]byte, error)
	// WriteFrames writes the frames in order, as one batch where it can.
	WriteFrames(frames []wire.OutFrame) error
	// Close releases the transport.
	Close() error
}

// Dialer opens a transport to a hub.
type Dialer func(ctx context.Context) (Transport, error)

// FrameLimiter is implemented by transports that bound the frames they
// read; the engine sets the bound from the hub's welcome.
type FrameLimiter interface {
	SetMaxFrame(n int)
}
