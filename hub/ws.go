package hub

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"slices"
	"strings"

	"github.com/coder/websocket"
	"github.com/ipcbus/ipcbus/shared/stream"
	"github.com/ipcbus/ipcbus/shared/wire"
)

// maxHeaderBytes bounds the request headers of the WebSocket listener.
const maxHeaderBytes = 16 << 10

func randomToken() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func (h *Hub) newHTTPServer(port int) *http.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("/ws", h.serveWS)
	mux.Handle("/metrics", h.MetricsHandler())
	mux.Handle("/inspector", h.InspectorHandler())
	mux.Handle("/inspector/", h.InspectorHandler())
	if h.cfg.Web != nil {
		mux.Handle("/", h.newStaticFiles(h.cfg.Web))
	}
	origins := []string{
		fmt.Sprintf("http://127.0.0.1:%d", port),
		fmt.Sprintf("http://localhost:%d", port),
		"file://",
	}
	for _, o := range h.cfg.AllowedOrigins {
		origins = append(origins, strings.ToLower(o))
	}
	h.origins = origins
	return &http.Server{
		Handler: mux,
		// A connection that is not upgraded holds a file descriptor of the
		// hub's: it has HandshakeTimeout to send its headers, and is closed
		// when idle for as long.
		ReadHeaderTimeout: h.cfg.HandshakeTimeout,
		IdleTimeout:       h.cfg.HandshakeTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          log.New(io.Discard, "", 0),
		ConnContext:       withCorkConn,
	}
}

// corkKey is the request context's key of the CorkConn under the request's
// connection (the listener's connections are wrapped in one).
type corkKey struct{}

func withCorkConn(ctx context.Context, nc net.Conn) context.Context {
	if pc, ok := nc.(*wsPortConn); ok {
		if cc, ok := pc.Conn.(*stream.CorkConn); ok {
			return context.WithValue(ctx, corkKey{}, cc)
		}
	}
	return ctx
}

// originAllowed reports whether a browser page of origin may connect.
func (h *Hub) originAllowed(origin string) bool {
	if origin == "" {
		return true // not a browser: the token decides
	}
	o := strings.ToLower(origin)
	return slices.Contains(h.origins, o) || slices.Contains(h.origins, "*")
}

// serveWS checks the token, the Origin and the subprotocol before the
// upgrade, answering 403 to anything else and closing that connection
// (no keep-alive for a refused client), then serves the connection like
// any other. Refusals are counted in the refusal log.
func (h *Hub) serveWS(w http.ResponseWriter, r *http.Request) {
	refuse := func(why string) {
		h.refusals.add("ws", why)
		w.Header().Set("Connection", "close")
		http.Error(w, "ipcbus: "+why, http.StatusForbidden)
	}
	if !tokenEqual(r.URL.Query().Get("token"), h.token) {
		refuse("bad token")
		return
	}
	if !h.originAllowed(r.Header.Get("Origin")) {
		refuse("origin not allowed")
		return
	}
	if !slices.Contains(subprotocols(r), wire.Subprotocol) {
		refuse("subprotocol " + wire.Subprotocol + " required")
		return
	}
	ws, err := websocket.Accept(w, r, &websocket.AcceptOptions{
		Subprotocols:       []string{wire.Subprotocol},
		InsecureSkipVerify: true, // the Origin was checked above
	})
	if err != nil {
		h.refusals.add("ws", "upgrade failed")
		return
	}
	t := stream.NewWS(ws, h.cfg.MaxHelloBytes, h.cfg.WriteTimeout)
	t.SetPool(h.bufs)
	if cc, ok := r.Context().Value(corkKey{}).(*stream.CorkConn); ok {
		t.SetCork(cc) // a batch of frames is one write
	}
	h.serveConn("ws", r.RemoteAddr, t, 0, nil)
}

func subprotocols(r *http.Request) []string {
	var out []string
	for _, v := range r.Header.Values("Sec-WebSocket-Protocol") {
		for _, p := range strings.Split(v, ",") {
			out = append(out, strings.TrimSpace(p))
		}
	}
	return out
}

// WSURL returns the URL a client opens to reach the WebSocket listener,
// token included, or "" without one.
func (h *Hub) WSURL() string {
	a := h.Addr("ws")
	if a == "" {
		return ""
	}
	return wsURLOf(a) + "?token=" + h.token
}

// wsURLOf is the URL of the WebSocket listener at addr ("ws:HOST:PORT"),
// without the token.
func wsURLOf(addr string) string { return "ws://" + strings.TrimPrefix(addr, "ws:") + "/ws" }
