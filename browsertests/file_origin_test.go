package browsertests

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/ipcbus/ipcbus/hub"
)

// An Electron window usually loads its page from file://. Chromium sends
// such a page's WebSocket with Origin "null": the hub refuses it unless
// "null" is an allowed origin, and then the token alone guards the door.
// The token here is one the main process chose and handed over.
func TestFileOriginPage(t *testing.T) {
	page := "file://" + filepath.Join(webDir, "test", "blank.html")

	strict := startHub(t, hub.Config{Token: "chosen-by-the-main-process"})
	tb := openTab(t, page, preload{isolated: true, electron: electronArgs(strict)})
	var got string
	tb.eval(connectError, &got)
	if !strings.HasPrefix(got, "unreachable: ") {
		t.Errorf("file:// page, default origins: %q, want it refused", got)
	}

	h := startHub(t, hub.Config{Token: "chosen-by-the-main-process", AllowedOrigins: []string{"null"}})
	nat := native(t, h, "native")
	tb = openTab(t, page, preload{isolated: true, electron: electronArgs(h)})
	tb.eval(`T.connect("page")`, nil)
	var state hubState
	tb.eval(`T.client("page").request(ElectronCommonIPC.IPCBUS_CHANNEL_QUERY_STATE, 0).then((r) => T.describe(r.payload))`, &state)
	if _, _, ok := state.peer(nat.Peer().ID); !ok {
		t.Errorf("queryState from the file:// page lacks the native peer: %+v", state)
	}
}
