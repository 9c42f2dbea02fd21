package browsertests

import (
	"testing"

	"github.com/ipcbus/ipcbus/hub"
)

// What electron-common-ipc 16's renderer code uses besides the client API:
// window.ElectronCommonIpc, PreloadElectronCommonIpc (callable again, from
// an app's own preload), IsElectronCommonIpcAvailable, ActivateIpcBusTrace,
// IpcBusClient.Create and peer.type, in the preload's world and in the
// page's.
func TestElectronCommonIpcNames(t *testing.T) {
	h := startHub(t, hub.Config{})
	tb := openTab(t, pageURL(h, "/test/page.html"), preload{isolated: true, electron: electronArgs(h)})
	type names struct {
		Same, Available, Preload, Unchanged, Trace bool
		PeerType                                   string
	}
	const probe = `(async () => {
		const api = window.ElectronCommonIPC;
		const out = { same: window.ElectronCommonIpc === api, available: api.IsElectronCommonIpcAvailable(),
			trace: typeof api.ActivateIpcBusTrace === 'function' };
		if (api.PreloadElectronCommonIpc) {
			out.preload = api.PreloadElectronCommonIpc();
			out.unchanged = window.ElectronCommonIPC === api;
		}
		const c = api.IpcBusClient.Create();
		await c.connect({ peerName: 'porting-' + WORLD, timeoutDelay: 10000 });
		out.peerType = c.peer.type;
		await c.close();
		return out;
	})()`
	var pre names
	tb.eval(`const WORLD = 'preload'; `+probe, &pre)
	if !pre.Same || !pre.Available || !pre.Preload || !pre.Unchanged || !pre.Trace || pre.PeerType != "renderer" {
		t.Errorf("preload's world: %+v, want every name there, PreloadElectronCommonIpc() true and idempotent, peer.type renderer", pre)
	}
	var page names
	tb.evalPage(`const WORLD = 'page'; `+probe, &page)
	if !page.Same || !page.Available || !page.Trace || page.PeerType != "renderer" {
		t.Errorf("page's world: %+v, want every name there and peer.type renderer", page)
	}
}
