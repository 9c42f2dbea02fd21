// Package nativeclient connects native Go processes to an ipcbus hub over a
// Unix socket or TCP. It returns the engine's *bus.Client:
//
//	c, err := nativeclient.Dial(ctx, "", nil) // IPCBUS_ADDR, else the default socket
//	if err != nil { ... }
//	defer c.Close()
//	c.On("greeting", func(e *bus.Event) { ... })
//	c.Send(ctx, "greeting", "hello")
//
// The client reconnects to the same address when the hub restarts (see
// bus.Options.Redial); set bus.Options.NoReconnect to end with the hub.
package nativeclient
