package hub

import (
	"net"

	"github.com/ipcbus/ipcbus/shared/stream"
)

// transport carries whole frames for one connection. ReadFrame is called by
// the reader goroutine and WriteFrames by the writer; Close makes both return.
type transport interface {
	ReadFrame() ([]byte, error) // valid until the next call
	WriteFrames(frames [][]byte) error
	Close() error
}

func newStreamTransport(nc net.Conn, cfg Config) transport {
	return stream.New(nc, cfg.MaxFrameBytes, cfg.WriteTimeout)
}
