package hub

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/coder/websocket"
	"github.com/ipcbus/ipcbus/shared/wire"
)

// Token returns the token WebSocket upgrades must carry (?token=): the
// configured one, or the one generated at New. Empty without a WebSocket
// listener and a configured token.
func (h *Hub) Token() string { return h.wsToken }

func randomToken() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func (h *Hub) newHTTPServer(port int) *http.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("/ws", h.serveWS)
	if h.cfg.Web != nil {
		files := http.FileServerFS(h.cfg.Web)
		mux.Handle("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Cache-Control", "no-store")
			// Static code only (the token is never in a file): any origin,
			// opaque ones included, may fetch it.
			w.Header().Set("Access-Control-Allow-Origin", "*")
			files.ServeHTTP(w, r)
		}))
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
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          nil,
	}
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
// upgrade, answering 403 to anything else, then serves the connection like
// any other.
func (h *Hub) serveWS(w http.ResponseWriter, r *http.Request) {
	refuse := func(why string) {
		h.log.Warn("websocket refused", "remote", r.RemoteAddr, "origin", r.Header.Get("Origin"), "reason", why)
		http.Error(w, "ipcbus: "+why, http.StatusForbidden)
	}
	if !tokenEqual(r.URL.Query().Get("token"), h.wsToken) {
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
		h.log.Warn("websocket upgrade failed", "remote", r.RemoteAddr, "err", err)
		return
	}
	ws.SetReadLimit(int64(h.cfg.MaxFrameBytes))
	h.serveConn("ws", r.RemoteAddr, newWSTransport(ws, h.cfg.WriteTimeout))
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

// wsTransport carries one frame per binary WebSocket message.
type wsTransport struct {
	ws           *websocket.Conn
	ctx          context.Context // the connection's life: cancelling it would close it
	cancel       context.CancelFunc
	writeTimeout time.Duration
}

func newWSTransport(ws *websocket.Conn, writeTimeout time.Duration) *wsTransport {
	ctx, cancel := context.WithCancel(context.Background())
	return &wsTransport{ws: ws, ctx: ctx, cancel: cancel, writeTimeout: writeTimeout}
}

func (t *wsTransport) ReadFrame() ([]byte, error) {
	typ, b, err := t.ws.Read(t.ctx)
	if err != nil {
		if errors.Is(err, websocket.ErrMessageTooBig) {
			return nil, fmt.Errorf("%w: %v", wire.ErrFrameTooLarge, err)
		}
		return nil, err
	}
	if typ != websocket.MessageBinary {
		return nil, fmt.Errorf("%w: text message", wire.ErrMalformed)
	}
	return b, nil
}

func (t *wsTransport) WriteFrames(frames [][]byte) error {
	ctx, cancel := context.WithTimeout(t.ctx, t.writeTimeout)
	defer cancel()
	for _, f := range frames {
		if err := t.ws.Write(ctx, websocket.MessageBinary, f); err != nil {
			return err
		}
	}
	return nil
}

func (t *wsTransport) Close() error {
	t.cancel()
	return t.ws.CloseNow()
}

// WSURL returns the URL a client opens to reach the WebSocket listener,
// token included, or "" without one.
func (h *Hub) WSURL() string {
	a := h.Addr("ws")
	if a == "" {
		return ""
	}
	return "ws://" + strings.TrimPrefix(a, "ws:") + "/ws?token=" + h.wsToken
}
