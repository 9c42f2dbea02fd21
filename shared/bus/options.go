package bus

import (
	"os"
	"time"

	"github.com/ipcbus/ipcbus/shared/wire"
)

// Peer, Process and Target are the protocol's, re-exported for callers.
type (
	Peer    = wire.Peer
	Process = wire.Process
	Target  = wire.Target
)

// ToPeer targets one peer.
func ToPeer(p Peer) Target { return Target{Peer: p.ID} }

// ToProcess targets every peer of the process p names (its non-zero fields).
func ToProcess(p Process) Target { return Target{Process: &p} }

// Options configure a Conn and the Clients on it, given to NewClient and
// NewConn by pointer (nil: every default). The zero value is usable: each
// zero field means the default its comment gives.
type Options struct {
	// Name is the peer name of a Client made by NewClient. Default: the
	// process type and pid, as "node-1234".
	Name string
	// Process is the identity announced in hello. Default: type "node" and
	// this process's pid.
	Process Process
	// Token is sent in hello; hubs that require one refuse a wrong one.
	Token string
	// Addr names the hub in errors ("ipcbus: connect to ADDR: ..."); it
	// does not choose it, the Dialer does. nativeclient sets it.
	Addr string
	// ConnectTimeout bounds Connect when its ctx has no deadline. Default
	// 2 s; negative waits without limit (as RequestTimeout), for a hub
	// started later.
	ConnectTimeout time.Duration
	// RequestTimeout is the deadline of a request whose ctx has none.
	// Default 2000 ms, as electron-common-ipc; negative waits forever.
	RequestTimeout time.Duration
	// MaxOutboundBytes bounds the bytes queued for the hub by Send and
	// Request. Default 64 MiB.
	MaxOutboundBytes int
	// MaxQueuedEvents and MaxQueuedEventBytes bound the events waiting for
	// dispatch; past them events are dropped (see ErrSlowConsumer).
	// Defaults 65536 events and 64 MiB.
	MaxQueuedEvents     int
	MaxQueuedEventBytes int
	// OnError receives errors that belong to no call: a panicking listener
	// (*PanicError), dropped events (ErrSlowConsumer). It runs on the
	// dispatch goroutine. Default: log with slog.Default() (natively; under
	// js/wasm, print to the console, which keeps log/slog out of client.wasm).
	OnError func(error)
	// OnClose is called once, on its own goroutine, when the connection
	// ends for good, with the reason (a *wire.CloseError when the hub gave
	// one). A connection that reconnects has not ended.
	OnClose func(error)
	// OnStatus is called at each change of the connection's status once it
	// first connected (connected, disconnected, reconnecting, closed), with
	// the reason. It runs on the dispatch goroutine, in order with the
	// events, and must not block.
	OnStatus func(StatusChange)

	// Redial, when set, opens a new transport to the hub after the
	// connection was lost, or closed by the hub with a code that says to
	// reconnect (wire.CloseCode.Reconnect); the Dialer given to NewConn is
	// only used by Connect. Without Redial, a lost connection ends.
	// nativeclient sets it to dial the same address again.
	Redial Dialer
	// NoReconnect turns reconnecting off even when Redial is set.
	NoReconnect bool
	// ReconnectWait is the wait before the first attempt of an outage;
	// each failed attempt doubles it, up to MaxReconnectWait. Defaults
	// 100 ms and 2 s.
	ReconnectWait    time.Duration
	MaxReconnectWait time.Duration
	// ReconnectJitter is the bound of a random wait added to each, so that
	// the clients of a restarted hub do not all come back at once.
	// Default 100 ms; negative: none.
	ReconnectJitter time.Duration
	// MaxReconnects bounds the attempts of one outage; once they all
	// failed the connection ends. Default 60; negative: try forever.
	MaxReconnects int
	// ReconnectBufBytes bounds the sends and requests made during an
	// outage, kept to be sent in order once reconnected; past it they fail
	// with ErrReconnectBufferFull. Default 8 MiB.
	ReconnectBufBytes int
}

func (o Options) withDefaults() Options {
	if o.Process.Type == "" {
		o.Process.Type = wire.ProcessNode
	}
	if o.Process.PID == 0 {
		o.Process.PID = os.Getpid()
	}
	if o.ConnectTimeout == 0 {
		o.ConnectTimeout = 2 * time.Second
	}
	if o.RequestTimeout == 0 {
		o.RequestTimeout = wire.DefaultRequestTimeout
	}
	if o.MaxOutboundBytes <= 0 {
		o.MaxOutboundBytes = 64 << 20
	}
	if o.MaxQueuedEvents <= 0 {
		o.MaxQueuedEvents = 65536
	}
	if o.MaxQueuedEventBytes <= 0 {
		o.MaxQueuedEventBytes = 64 << 20
	}
	if o.ReconnectWait <= 0 {
		o.ReconnectWait = 100 * time.Millisecond
	}
	if o.MaxReconnectWait <= 0 {
		o.MaxReconnectWait = 2 * time.Second
	}
	if o.ReconnectJitter == 0 {
		o.ReconnectJitter = 100 * time.Millisecond
	}
	if o.MaxReconnects == 0 {
		o.MaxReconnects = 60
	}
	if o.ReconnectBufBytes <= 0 {
		o.ReconnectBufBytes = 8 << 20
	}
	if o.OnError == nil {
		o.OnError = logError
	}
	return o
}
