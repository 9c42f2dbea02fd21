package hub

import (
	"net/http"
	"strings"
)

// WebSocketHandler returns the hub's WebSocket bridge as an http.Handler,
// for an app that serves it from its own http.Server, at a path of its
// choosing, instead of (or beside) the hub's WSAddr listener:
//
//	mux.Handle("/ipcbus", h.WebSocketHandler())
//
// It admits what the listener admits: an upgrade with the hub's token
// (?token=, see Token), the
// ipcbus.v1 subprotocol, and an Origin from Config.AllowedOrigins or
// "file://" (list the app's own page origins there), or none (a native
// client). Each upgraded connection is the hub's, like those it accepts:
// Shutdown closes them. Call it before handing out the token.
func (h *Hub) WebSocketHandler() http.Handler {
	h.mu.Lock()
	if h.origins == nil { // no WSAddr listener: its own origins are not there
		h.origins = []string{"file://"}
		for _, o := range h.cfg.AllowedOrigins {
			h.origins = append(h.origins, strings.ToLower(o))
		}
	}
	h.mu.Unlock()
	return http.HandlerFunc(h.serveWS)
}
