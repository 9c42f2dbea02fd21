package browsertests

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ipcbus/ipcbus/hub"
	"github.com/ipcbus/ipcbus/hub/hubtest"
	"github.com/ipcbus/ipcbus/shared/bus"
)

// startHub runs a hub for the test with a Unix listener for native clients
// and the WebSocket listener serving the built web dir.
func startHub(t *testing.T, cfg hub.Config) *hub.Hub {
	t.Helper()
	dir, err := os.MkdirTemp("", "ipcbus-bt-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	cfg.UnixPath = filepath.Join(dir, "hub.sock")
	cfg.WSAddr = "127.0.0.1:0"
	cfg.Web = os.DirFS(webDir)
	return hubtest.Start(t, cfg)
}

// hostPort is the WebSocket listener's 127.0.0.1:PORT.
func hostPort(h *hub.Hub) string { return strings.TrimPrefix(h.Addr("ws"), "ws:") }

// pageURL is a page the hub serves.
func pageURL(h *hub.Hub, path string) string { return "http://" + hostPort(h) + path }

// wsURL is the hub's WebSocket URL without the token, as a preload gets it.
func wsURL(h *hub.Hub) string { return "ws://" + hostPort(h) + "/ws" }

// native connects a native Go client named name, with the hub's token
// (required of every connection when the hub was given one).
func native(t *testing.T, h *hub.Hub, name string) *bus.Client {
	t.Helper()
	return hubtest.Dial(t, h, name, &bus.Options{Token: h.Token()})
}
