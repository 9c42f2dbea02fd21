package hub

import (
	"embed"
	"net/http"
	"strings"
)

// The inspector is a page the WebSocket listener serves at /inspector: it
// joins the bus as a peer, attaches as a spy and polls the state and the
// services (docs/spy.md#the-inspector). The page itself takes the token
// and Origin rules of /metrics; its script and style hold nothing of the
// hub's and are served to anyone.
//
//go:embed inspector/index.html inspector/app.js inspector/inspector.css
var inspectorFiles embed.FS

// InspectorHandler returns the inspector page and its files, for an app
// that serves the hub from its own server: mount it at /inspector and
// /inspector/, beside the WebSocket handler at /ws.
func (h *Hub) InspectorHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, "/inspector")
		ctype := ""
		switch name {
		case "", "/":
			if why := h.httpRefusal(r); why != "" {
				h.refusals.add("inspector", why)
				w.Header().Set("Connection", "close")
				http.Error(w, "ipcbus: "+why+" (open /inspector?token=TOKEN)", http.StatusForbidden)
				return
			}
			name, ctype = "index.html", "text/html; charset=utf-8"
			w.Header().Set("Content-Security-Policy", "default-src 'self'; connect-src 'self' ws://"+r.Host+" wss://"+r.Host)
			w.Header().Set("Referrer-Policy", "no-referrer") // the token is in the URL
		case "/app.js":
			name, ctype = "app.js", "text/javascript; charset=utf-8"
		case "/inspector.css":
			name, ctype = "inspector.css", "text/css; charset=utf-8"
		default:
			http.NotFound(w, r)
			return
		}
		b, err := inspectorFiles.ReadFile("inspector/" + name)
		if err != nil {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", ctype)
		w.Header().Set("Cache-Control", "no-cache")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Write(b)
	})
}
