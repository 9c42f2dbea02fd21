package browsertests

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/ipcbus/ipcbus/hub"
)

// An Electron app, as a tab's preload meets it: the preload runs inside a
// function shaped like Electron's sandboxed wrapper, whose process
// (argv, pid) and require('electron') are parameters and never globals,
// and its ipcRenderer.invoke reaches the app's main process: here
// testdata/electron-main.cjs, which answers with the package's own
// handler (what IpcBusBridge registers with ipcMain.handle). The main
// process sees the frame's URL from the browser, not from the page.
type electronApp struct {
	url, token   string    // what the bridge's config holds
	allowedPages []string  // the bridge's allowedPages option
	frames       []string  // the bridge's frames option
	wcid         int       // the window's webContents id (event.sender.id)
	argv         []string  // the renderer's command line beyond the bridge's additionalArguments
	js           string    // JS run before the preload, in its world (IPCBUS_CONFIG)
	after        string    // JS run in the wrapper after the bundle, as an app's own preload that bundles it
	main         *nodeMain // the app's own main process; nil: the suite's (electron-main.cjs)
}

// mainOf is the process that answers app's preloads.
func (app *electronApp) mainOf(t *testing.T) *nodeMain {
	if app.main != nil {
		return app.main
	}
	return mainProcess(t)
}

// rendererPID is the renderer's process id the stand-in gives: the
// wrapper's process.pid and the frame's osProcessId in the main process.
const rendererPID = 4242

// electronArgs is the app of a window whose page the hub serves: the
// bridge allows the hub's own origin and file:// pages. extra are what
// an app used to put in additionalArguments: --ipcbus-wcid=N becomes the
// window's webContents id, --ipcbus-frames=O,... the bridge's frames
// option; the others stay on the command line.
func electronArgs(h *hub.Hub, extra ...string) *electronApp {
	app := &electronApp{
		url:          wsURL(h),
		token:        h.Token(),
		allowedPages: []string{"http://" + hostPort(h), "file://"},
		wcid:         1,
	}
	for _, a := range extra {
		switch {
		case strings.HasPrefix(a, "--ipcbus-wcid="):
			app.wcid, _ = strconv.Atoi(strings.TrimPrefix(a, "--ipcbus-wcid="))
		case strings.HasPrefix(a, "--ipcbus-frames="):
			app.frames = append(app.frames, strings.Split(strings.TrimPrefix(a, "--ipcbus-frames="), ",")...)
		default:
			app.argv = append(app.argv, a)
		}
	}
	return app
}

// with adds JS run before the preload.
func (app *electronApp) with(js string) *electronApp {
	c := *app
	c.js += js
	return &c
}

func (app *electronApp) options() map[string]any {
	o := map[string]any{"allowedPages": app.allowedPages}
	if len(app.frames) > 0 {
		o["frames"] = app.frames
	}
	return o
}

func (app *electronApp) config() map[string]string {
	return map[string]string{"url": app.url, "token": app.token}
}

// commandLine is the renderer's process.argv: Electron's, then the
// bridge's additionalArguments (from the main process), then the app's.
func (app *electronApp) commandLine(t *testing.T) []string {
	t.Helper()
	var args []string
	if err := app.mainOf(t).call(map[string]any{"op": "args", "config": app.config(), "options": app.options()}, &args); err != nil {
		t.Fatalf("additionalArguments: %v", err)
	}
	return append(append([]string{"/path/to/electron", "--type=renderer"}, args...), app.argv...)
}

// wrap is the script a tab is given: the stand-in of Electron's sandboxed
// preload wrapper around the bundle. No globalThis.process: the bundle
// sees process and require as parameters.
func (app *electronApp) wrap(argv []string, isolated bool, bundle string) string {
	b, _ := json.Marshal(map[string]any{"argv": argv, "pid": rendererPID, "contextIsolated": isolated})
	return fmt.Sprintf("%s\n;(() => {\n%s\nconst standIn = electronStandIn(%s);\n"+
		"(function (require, process, Buffer, global, setImmediate, clearImmediate, exports, module) {\n%s\n%s\n})"+
		"(standIn.require, standIn.process, undefined, globalThis, undefined, undefined, {}, { exports: {} });\n})();\n",
		app.js, electronStandInJS, b, bundle, app.after)
}

// electronStandInJS makes the wrapper's process and require: require
// knows 'electron' alone (ipcRenderer.invoke over the CDP binding
// mainBinding; webFrame.setIsolatedWorldInfo recorded), as a sandboxed
// preload's require knows a few modules.
const electronStandInJS = `function electronStandIn(given) {
  const pending = new Map();
  let next = 0;
  const worldInfo = [];
  Object.defineProperty(globalThis, '__ipcbusMainReply', {
    value: (id, error, result) => {
      const p = pending.get(id);
      if (!p) return;
      pending.delete(id);
      if (error) p.reject(new Error(error)); else p.resolve(result);
    },
  });
  Object.defineProperty(globalThis, '__ipcbusWorldInfo', { value: worldInfo });
  Object.defineProperty(globalThis, '__ipcbusProcessBefore', { value: typeof globalThis.process });
  const send = (msg, tries) => {
    if (typeof globalThis.` + mainBinding + ` === 'function') {
      globalThis.` + mainBinding + `(JSON.stringify(msg));
    } else if (tries < 200) {
      setTimeout(() => send(msg, tries + 1), 5);
    }
  };
  const ipcRenderer = {
    invoke(channel, ...args) {
      return new Promise((resolve, reject) => {
        const id = ++next;
        pending.set(id, { resolve, reject });
        send({ id, channel, args }, 0);
      });
    },
  };
  const webFrame = { setIsolatedWorldInfo(worldId, info) { worldInfo.push({ worldId, ...info }); } };
  const electron = Object.freeze({ ipcRenderer, webFrame });
  return {
    process: Object.freeze({ argv: given.argv, pid: given.pid, sandboxed: true, contextIsolated: given.contextIsolated, type: 'renderer', platform: 'linux', env: {} }),
    require(name) {
      if (name === 'electron') return electron;
      throw new Error("module not found: " + name);
    },
  };
}`

// mainBinding is the CDP binding the stand-in's ipcRenderer calls.
const mainBinding = "__ipcbusMain"

// answerMain answers one ipcRenderer.invoke of the tab's preload, as the
// app's main process: the event it builds has the tab's top frame URL as
// the browser has it.
func (tb *tab) answerMain(app *electronApp, e *runtime.EventBindingCalled) {
	var msg struct {
		ID      int    `json:"id"`
		Channel string `json:"channel"`
	}
	if err := json.Unmarshal([]byte(e.Payload), &msg); err != nil {
		tb.logf("main process: bad invoke %q: %v", e.Payload, err)
		return
	}
	ctx, cancel := context.WithTimeout(tb.ctx, 30*time.Second)
	defer cancel()
	var frameURL string
	tree, err := chromedp.Call(ctx, page.GetFrameTree, cdp.Empty{})
	if err == nil {
		frameURL = tree.FrameTree.Frame.URL + tree.FrameTree.Frame.URLFragment
	}
	var result json.RawMessage
	errText := ""
	if err != nil {
		errText = "the asking frame is gone: " + err.Error()
	} else {
		event := map[string]any{
			"sender":      map[string]any{"id": app.wcid},
			"senderFrame": map[string]any{"url": frameURL, "routingId": 1, "osProcessId": rendererPID},
			"frameId":     1,
			"processId":   3,
		}
		m := app.main
		if m == nil {
			m = theMain.m
		}
		if err := m.call(map[string]any{"op": "handle", "channel": msg.Channel, "config": app.config(), "options": app.options(), "event": event}, &result); err != nil {
			errText = "Error invoking remote method '" + msg.Channel + "': Error: " + err.Error()
		}
	}
	if result == nil {
		result = json.RawMessage("null")
	}
	tb.mainMu.Lock()
	tb.invokes = append(tb.invokes, invoke{Channel: msg.Channel, FrameURL: frameURL, Error: errText, Result: result})
	tb.mainMu.Unlock()
	expr := fmt.Sprintf("globalThis.__ipcbusMainReply(%d, %s, %s)", msg.ID, jsString(errText), result)
	if errText == "" {
		expr = fmt.Sprintf("globalThis.__ipcbusMainReply(%d, '', %s)", msg.ID, result)
	}
	r, err := chromedp.Call(ctx, runtime.Evaluate, runtime.EvaluateParams{Expression: expr, ContextID: e.ExecutionContextID})
	if err == nil && r.ExceptionDetails != nil {
		err = fmt.Errorf("%s", r.ExceptionDetails.Text)
	}
	if err != nil {
		tb.logf("main process: answering invoke %d: %v", msg.ID, err)
	}
}

// invoke is one ipcRenderer.invoke the main process answered.
type invoke struct {
	Channel  string
	FrameURL string
	Error    string
	Result   json.RawMessage
}

// nodeMain is testdata/electron-main.cjs, one for the suite.
type nodeMain struct {
	mu      sync.Mutex
	stdin   io.WriteCloser
	out     *bufio.Scanner
	next    int
	cmd     *exec.Cmd
	started error
}

var theMain struct {
	once sync.Once
	m    *nodeMain
}

// mainProcess starts the suite's main process once; stopMain ends it.
func mainProcess(t *testing.T) *nodeMain {
	theMain.once.Do(func() { theMain.m = startNodeMain() })
	if theMain.m.started != nil {
		t.Fatalf("the test's main process (node testdata/electron-main.cjs): %v", theMain.m.started)
	}
	return theMain.m
}

func stopMain() {
	if m := theMain.m; m != nil {
		m.stop()
	}
}

func startNodeMain() *nodeMain {
	m, first := startNode("testdata/electron-main.cjs", nil)
	if m.started == nil && first != "ready" {
		m.started = fmt.Errorf("not ready: %s", first)
	}
	return m
}

// startNode runs node script with node.cjs's path and args (env added
// to this process's), and returns
// it with the first line it printed (its error output when it printed
// none).
func startNode(script string, env []string, args ...string) (*nodeMain, string) {
	m := &nodeMain{}
	node, err := exec.LookPath("node")
	if err != nil {
		m.started = err
		return m, ""
	}
	m.cmd = exec.Command(node, append([]string{script, filepath.Join(webDir, "node.cjs")}, args...)...)
	if env != nil {
		m.cmd.Env = append(os.Environ(), env...)
	}
	var stderr strings.Builder
	m.cmd.Stderr = &stderr
	if m.stdin, err = m.cmd.StdinPipe(); err != nil {
		m.started = err
		return m, ""
	}
	out, err := m.cmd.StdoutPipe()
	if err != nil {
		m.started = err
		return m, ""
	}
	if err := m.cmd.Start(); err != nil {
		m.started = err
		m.cmd = nil
		return m, ""
	}
	m.out = bufio.NewScanner(out)
	m.out.Buffer(make([]byte, 64*1024), 1<<20)
	if !m.out.Scan() {
		m.stdin.Close()
		m.cmd.Wait()
		m.started = fmt.Errorf("%s ended: %s", script, stderr.String())
		return m, ""
	}
	return m, m.out.Text()
}

// stop ends the process (its stdin closes) and waits for it.
func (m *nodeMain) stop() {
	if m.cmd != nil {
		m.stdin.Close()
		m.cmd.Wait()
	}
}

// call sends one request and decodes its result into out.
func (m *nodeMain) call(req map[string]any, out any) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.next++
	req["id"] = m.next
	b, err := json.Marshal(req)
	if err != nil {
		return err
	}
	if _, err := m.stdin.Write(append(b, '\n')); err != nil {
		return err
	}
	if !m.out.Scan() {
		return fmt.Errorf("the main process ended: %v", m.out.Err())
	}
	var resp struct {
		ID     int             `json:"id"`
		Result json.RawMessage `json:"result"`
		Error  string          `json:"error"`
	}
	if err := json.Unmarshal(m.out.Bytes(), &resp); err != nil {
		return err
	}
	if resp.Error != "" {
		return fmt.Errorf("%s", resp.Error)
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(resp.Result, out)
}
