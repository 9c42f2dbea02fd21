package hub

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/ipcbus/ipcbus/shared/wire"
)

// FuzzWSUpgrade sends upgrade requests with any query, Origin and
// Sec-WebSocket-Protocol to the WebSocket listener's handler: none makes it
// panic, and none but those with the token, an allowed origin and the
// subprotocol gets past the 403.
func FuzzWSUpgrade(f *testing.F) {
	const token = "00112233445566778899aabbccddeeff"
	f.Add("token="+token, "", wire.Subprotocol)
	f.Add("token="+token, "http://127.0.0.1:50495", wire.Subprotocol+", chat")
	f.Add("token="+token, "https://app.example", wire.Subprotocol)
	f.Add("token=guess", "http://127.0.0.1:50495", wire.Subprotocol)
	f.Add("token="+token+"&token=x", "null", "chat")
	f.Add("token=%zz", "HTTP://LOCALHOST:50495", ",,,")
	f.Add("", "file://", "")
	h, err := New(Config{WSAddr: "127.0.0.1:0", Token: token, AllowedOrigins: []string{"https://app.example"},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		f.Fatal(err)
	}
	srv := h.newHTTPServer(50495)
	f.Fuzz(func(t *testing.T, query, origin, protocols string) {
		r := &http.Request{
			Method:     http.MethodGet,
			URL:        &url.URL{Path: "/ws", RawQuery: query},
			Proto:      "HTTP/1.1",
			ProtoMajor: 1,
			ProtoMinor: 1,
			Header: http.Header{
				"Connection":            {"Upgrade"},
				"Upgrade":               {"websocket"},
				"Sec-Websocket-Version": {"13"},
				"Sec-Websocket-Key":     {"dGhlIHNhbXBsZSBub25jZQ=="},
			},
			Host:       "127.0.0.1:50495",
			RemoteAddr: "127.0.0.1:1",
		}
		if origin != "" {
			r.Header.Set("Origin", origin)
		}
		if protocols != "" {
			r.Header.Set("Sec-WebSocket-Protocol", protocols)
		}
		w := httptest.NewRecorder()
		srv.Handler.ServeHTTP(w, r)
		q, _ := url.ParseQuery(query)
		admitted := q.Get("token") == token && h.originAllowed(origin) && strings.Contains(protocols, wire.Subprotocol)
		if w.Code == http.StatusForbidden {
			if w.Header().Get("Connection") != "close" {
				t.Fatal("a refusal keeps its connection")
			}
			return
		}
		if !admitted {
			t.Fatalf("query %q origin %q protocols %q: status %d, want 403", query, origin, protocols, w.Code)
		}
	})
}
