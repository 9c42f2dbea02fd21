package hub

import (
	"net"

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

func newStreamTransport(nc net.Conn, cfg Config) transport {
	return stream.New(nc, cfg.MaxHelloBytes, cfg.WriteTimeout)
}
