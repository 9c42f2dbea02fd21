// Package hub is the ipcbus server: the broker that native clients reach
// over a Unix socket or TCP, and the bridge that renderers reach over a
// WebSocket, sharing one router so that every peer reaches every other.
//
//	h, err := hub.New(hub.Config{UnixPath: "/run/user/1000/ipcbus.sock"})
//	if err != nil { ... }
//	go h.Serve(ctx)        // until ctx is done or Shutdown
//	...
//	h.Shutdown(ctx)        // tells every client to reconnect later, then waits
//
// # Authentication
//
// A peer on the Unix socket is admitted by its user, which the kernel gives
// (SO_PEERCRED): the hub's own, or one of Config.AllowUIDs; its pid is the
// kernel's too. The socket is mode 0600 in a folder of the hub's user that no
// one else may write. TCP and WebSocket connections present the token
// (Config.Token, else generated; see Hub.Token, Hub.ConnectAddr and
// Config.TokenFile). Before hello a connection's frames are bounded by
// Config.MaxHelloBytes, and Config.MaxPendingHello and
// Config.MaxConnsPerListener bound how many may wait; refusals are logged
// as counts once per Config.RefusalLogInterval.
//
// # Connections
//
// Each connection has one reader and one writer goroutine. Frames for a
// connection go to its outbound queue, bounded by Config.MaxPendingBytes;
// the writer sends everything queued in one batch. A connection whose queue
// is full is closed with wire.CloseSlowConsumer: the peer publishing is never
// slowed by it, and its peers leave the router at once. A connection that sends a malformed frame, an unknown kind,
// a frame over Config.MaxFrameBytes, a frame for a peer of another
// connection, or no hello within Config.HandshakeTimeout is closed with a
// reason in a close frame, and one log line; nothing else is affected.
//
// # Routing
//
// A send is encoded once, whatever the number of subscribers: the hub reads
// only the frame header and forwards the payload bytes it received. A
// request goes to every listening peer; the first answer settles it. The
// hub answers at once when no peer listens, and when every peer that got the
// request has left. Requests on bus.ChannelQueryState,
// bus.ChannelServiceAvailable and bus.ChannelQueryServices are answered by the
// hub itself (a federated hub asks the other hubs and answers for all). A peer that listens on wire.ChannelSpy and asks on it becomes
// a spy: it gets an event for each thing the hub routes (bus.Client.Spy,
// docs/spy.md); with no spy attached the data path only loads a nil pointer.
//
// # Observing
//
// The WebSocket listener serves Prometheus metrics at /metrics
// (MetricsHandler) and a live inspector page at /inspector
// (InspectorHandler), both to requests that present the hub's token.
//
// # Web
//
// With Config.WSAddr the hub listens for WebSockets and serves Config.Web
// (client.wasm and its scripts) beside them; an app with its own HTTP
// server mounts the bridge there with WebSocketHandler instead.
package hub
