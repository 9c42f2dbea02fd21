// Package nativeclient connects native Go processes to an ipcbus hub over a
// Unix socket or TCP. It returns the engine's *bus.Client:
//
//	c, err := nativeclient.Dial(ctx, "", nil) // IPCBUS_ADDR, else the default socket
//	if err != nil { ... }
//	defer c.Close()
//	c.On("greeting", func(e *bus.Event) { ... })
//	c.Send(ctx, "greeting", "hello")
//
// On a Unix socket the hub knows the client's user from the kernel; on TCP
// and WebSocket addresses the client presents the hub's token, which New
// finds by itself for the hub's own user (see New).
//
// The client reconnects to the same address when the hub restarts (see
// bus.Options.Redial); set bus.Options.NoReconnect to end with the hub.
package nativeclient
