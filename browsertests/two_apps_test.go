package browsertests

import (
	"encoding/json"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/ipcbus/ipcbus/nativeclient"
)

// ipcbusBin builds the ipcbus binary once, for the apps that start their
// own hub (IpcBusBridge runs $IPCBUS_BIN).
var ipcbusBin = sync.OnceValues(func() (string, error) {
	bin := filepath.Join(filepath.Dir(webDir), "ipcbus")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/ipcbus")
	cmd.Dir = ".."
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	return bin, cmd.Run()
})

// appInfo is what testdata/electron-app.cjs prints once its bridge runs.
type appInfo struct {
	Addr   string `json:"addr"`
	Config struct {
		URL   string `json:"url"`
		Token string `json:"token"`
	} `json:"config"`
	Args []string `json:"args"`
}

// Two Electron apps on one machine, each a main process with
// IpcBusBridge's default options: each gets a hub of its own, its socket
// in a folder of its own (not the machine's default socket) and a free
// WebSocket port, which its windows' preloads get from it. A window of
// each app joins its app's hub, and its main process answers it.
func TestTwoAppsOnOneMachine(t *testing.T) {
	bin, err := ipcbusBin()
	if err != nil {
		t.Fatalf("go build ./cmd/ipcbus: %v", err)
	}
	apps := map[string]appInfo{}
	mains := map[string]*nodeMain{}
	for _, name := range []string{"A", "B"} {
		m, first := startNode("testdata/electron-app.cjs", []string{"IPCBUS_BIN=" + bin, "IPCBUS_ADDR="}, name)
		t.Cleanup(m.stop)
		if m.started != nil {
			t.Fatalf("app %s: %v", name, m.started)
		}
		var info appInfo
		if err := json.Unmarshal([]byte(first), &info); err != nil {
			t.Fatalf("app %s printed %q: %v", name, first, err)
		}
		apps[name], mains[name] = info, m
	}

	a, b := apps["A"], apps["B"]
	dirA, dirB := filepath.Dir(strings.TrimPrefix(a.Addr, "unix:")), filepath.Dir(strings.TrimPrefix(b.Addr, "unix:"))
	if !strings.HasPrefix(a.Addr, "unix:") || !strings.HasPrefix(b.Addr, "unix:") || dirA == dirB {
		t.Errorf("the apps' hubs are at %q and %q, want Unix sockets in folders of their own", a.Addr, b.Addr)
	}
	for _, info := range []appInfo{a, b} {
		if strings.TrimPrefix(info.Addr, "unix:") == nativeclient.DefaultUnixPath() {
			t.Errorf("an app's hub took the machine's default socket %s", info.Addr)
		}
	}
	ua, errA := url.Parse(a.Config.URL)
	ub, errB := url.Parse(b.Config.URL)
	if errA != nil || errB != nil || ua.Port() == "" || ua.Port() == "0" || ua.Host == ub.Host {
		t.Fatalf("the apps' WebSocket URLs are %q and %q, want two free ports", a.Config.URL, b.Config.URL)
	}

	for name, info := range apps {
		if len(info.Args) == 0 || info.Args[0] != "--ipcbus-url="+info.Config.URL || strings.Contains(strings.Join(info.Args, " "), info.Config.Token) {
			t.Errorf("app %s: additionalArguments %q, want its real URL and no token", name, info.Args)
		}
		u, _ := url.Parse(info.Config.URL)
		app := &electronApp{url: info.Config.URL, token: info.Config.Token, wcid: 1, main: mains[name]}
		tb := openTab(t, "http://"+u.Host+"/test/blank.html", preload{isolated: true, electron: app})
		tb.eval(`T.connect("page")`, nil)
		var got string
		tb.eval(`T.client("page").request("app/name", 0).then((r) => r.payload)`, &got)
		if got != name {
			t.Errorf("a window of app %s asked its main process and got %q", name, got)
		}
	}
}

// electron-common-ipc's hybrid app: a Node process runs the broker, an
// Electron main process runs IpcBusBridge.connect(that broker's address)
// and a client. A window of the Electron app joins the broker's hub with
// what the bridge handed its preload, and both Node processes answer it.
func TestHybridApp(t *testing.T) {
	bin, err := ipcbusBin()
	if err != nil {
		t.Fatalf("go build ./cmd/ipcbus: %v", err)
	}
	sock := filepath.Join(t.TempDir(), "broker.sock")
	broker, first := startNode("../web/tests/fixtures/broker-app.cjs", []string{"IPCBUS_BIN=" + bin, "IPCBUS_ADDR="}, sock)
	t.Cleanup(broker.stop)
	if broker.started != nil {
		t.Fatalf("broker process: %v", broker.started)
	}
	var b struct{ Addr string }
	if err := json.Unmarshal([]byte(first), &b); err != nil || b.Addr != "unix:"+sock {
		t.Fatalf("the broker process printed %q (%v), want its address unix:%s", first, err, sock)
	}
	m, first := startNode("testdata/electron-app.cjs", []string{"IPCBUS_BIN=" + bin, "IPCBUS_ADDR=", "IPCBUS_HYBRID_ADDR=" + b.Addr}, "E")
	t.Cleanup(m.stop)
	if m.started != nil {
		t.Fatalf("Electron main process: %v", m.started)
	}
	var info appInfo
	if err := json.Unmarshal([]byte(first), &info); err != nil {
		t.Fatalf("the Electron main process printed %q: %v", first, err)
	}
	if info.Config.Token == "" || strings.Contains(strings.Join(info.Args, " "), info.Config.Token) {
		t.Fatalf("bridge config %+v, additionalArguments %q: want a token, and none on the command line", info.Config, info.Args)
	}
	u, _ := url.Parse(info.Config.URL)
	app := &electronApp{url: info.Config.URL, token: info.Config.Token, wcid: 1, main: m}
	tb := openTab(t, "http://"+u.Host+"/test/blank.html", preload{isolated: true, electron: app})
	tb.eval(`T.connect("page")`, nil)
	var got struct{ Broker, Main string }
	tb.eval(`(async () => {
		const c = T.client("page");
		return { broker: (await c.request("broker/name", 0)).payload, main: (await c.request("app/name", 0)).payload };
	})()`, &got)
	if got.Broker != "broker" || got.Main != "E" {
		t.Errorf("the window asked both Node processes and got %+v, want broker and E", got)
	}
}
