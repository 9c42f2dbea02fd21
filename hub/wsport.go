package hub

import (
	"io"
	"net"
	"time"

	"github.com/ipcbus/ipcbus/shared/stream"
	"github.com/ipcbus/ipcbus/shared/wire"
)

// streamOnWSPort is the reason given to a native client that speaks the
// stream protocol to the WebSocket listener (its port given as tcp:).
const streamOnWSPort = "this is the hub's WebSocket listener: connect with ws://HOST:PORT/ws, or to its TCP listener"

// wsPortListener wraps the WebSocket listener's connections in
// wsPortConns.
type wsPortListener struct {
	net.Listener
	h *Hub
}

func (l wsPortListener) Accept() (net.Conn, error) {
	nc, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &wsPortConn{Conn: stream.NewCorkConn(nc), h: l.h}, nil
}

// wsPortConn answers at once a connection whose first byte is 0, which no
// HTTP request begins with and every stream frame does (its length, under
// 16 MiB): it gets a close frame saying where it is, not the HTTP
// server's 400 after its header timeout.
type wsPortConn struct {
	net.Conn
	h       *Hub
	checked bool // the first bytes were read; the HTTP server's goroutine only
}

func (c *wsPortConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	if c.checked || n == 0 {
		return n, err
	}
	c.checked = true
	if b[0] != 0 {
		return n, err
	}
	c.h.refusals.add("ws", "a stream client on the WebSocket port")
	body := wire.AppendStr(nil, streamOnWSPort)
	if f, ferr := wire.Append(nil, &wire.Frame{Kind: wire.KindClose, Code: uint16(wire.CloseProtocolError), Body: body}); ferr == nil {
		s := stream.New(c.Conn, 0, time.Second)
		_ = s.WriteFrames([]wire.OutFrame{{Head: f}})
	}
	return 0, io.EOF
}
