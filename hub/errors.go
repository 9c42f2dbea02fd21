package hub

import "errors"

// Errors returned by the hub.
var (
	// ErrSocketInUse is returned when the Unix socket path is served by a
	// live hub (or another live server).
	ErrSocketInUse = errors.New("hub: unix socket is in use by a live server")
	// ErrClosed is returned by Serve and Listen after Shutdown.
	ErrClosed = errors.New("hub: closed")
)
