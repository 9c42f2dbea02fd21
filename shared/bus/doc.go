// Package bus is the ipcbus client engine: peers, listeners with Node
// EventEmitter semantics, send, request/response, and the connection that
// carries them. It is transport-agnostic and compiles natively and for
// GOOS=js GOARCH=wasm: package nativeclient gives it Unix-socket and TCP
// transports, and the wasm client a browser WebSocket.
//
// # Connections and peers
//
// A Conn is one connection to a hub. A Client is a peer on a Conn, with its
// own id, name, process identity and listeners; several Clients may share a
// Conn (a renderer's page and frames do). A Client made with NewClient owns a
// Conn of its own, which it closes when it closes.
//
// # Options
//
// Constructors take their options by pointer, nil meaning every default:
// NewClient and NewConn (*Options), NewService (*ServiceOptions),
// NewServiceProxy (*ServiceProxyOptions), as nativeclient.Dial and New do.
// A zero field means the default its comment gives; the struct is copied.
// (The hub's hub.Config is a value, like http.Server's fields.)
//
// # Reconnecting
//
// A Conn with Options.Redial (nativeclient sets it) outlives its hub: when
// the connection is lost, or the hub closes it with a code that says to
// reconnect, it redials with backoff and jitter, adds its peers again (they
// get new ids), restores their subscriptions, restarts the announcements of
// started Services and refreshes ServiceProxies. Requests pending at the
// loss fail with ErrDisconnected; sends and requests made meanwhile are
// buffered (Options.ReconnectBufBytes) and sent in order once back.
// Options.OnStatus reports each change; terminal close codes (a bad token,
// a protocol version, a refused identity) end the connection instead.
//
// # Callbacks
//
// Listeners run one at a time, in arrival order, on the Conn's dispatch
// goroutine, never on the goroutine that reads the connection; so do
// Options.OnStatus and the listeners' reactions to a reconnect. A listener
// that blocks delays every later event of its Conn; one that panics is
// recovered and reported through Options.OnError. Events that arrive while
// the dispatch queue is full (Options.MaxQueuedEvents, MaxQueuedEventBytes)
// are dropped, counted and reported as ErrSlowConsumer; a dropped request is
// declined so that its requester does not wait for nothing.
//
// # Backpressure
//
// Send and Request wait while the outbound queue holds Options.MaxOutboundBytes,
// until the writer makes room or ctx is done; with a ctx that is already
// done they never wait and fail at once when the queue is full. Control
// frames and responses are never held back.
//
// # Decoding what peers send
//
// Any peer can send anything: every decode of a payload (Event.Args,
// Event.Values, Response.Decode, PortMessage.Decode, service call args) is
// checked first and fails with an error matching ErrMalformed instead of
// crashing or exhausting memory: ErrTooDeep past wire.MaxDepth (10,000)
// levels of nesting, ErrTooComplex for a decode into generic values (any,
// []any, map[string]any) that would take more than 32 bytes of memory per
// byte received (plus 64 KiB). Typed destinations are checked for depth
// only.
package bus
