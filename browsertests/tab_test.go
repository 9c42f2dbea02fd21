package browsertests

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/ipcbus/ipcbus/hub"
)

//go:embed testdata/helpers.js
var helpersJS string

// preloadWorld names the isolated world the preload runs in, as Electron
// runs a preload with contextIsolation on.
const preloadWorld = "ipcbus-preload"

var bundle = sync.OnceValues(func() (string, error) {
	b, err := os.ReadFile(filepath.Join(webDir, "ipcbus-preload.bundle.js"))
	return string(b), err
})

// preload says how a tab gets ipcbus.
type preload struct {
	isolated bool         // in an isolated world (contextIsolation on), else the main world
	config   string       // JS run first in the same world: the preload's configuration
	electron *electronApp // run in Electron's sandboxed wrapper, configured by the app's main process (electron_test.go)
	none     bool         // inject nothing: the page loads ipcbus itself
	noWait   bool         // return without waiting for client.wasm
}

// configObject is the configuration given as globalThis.IPCBUS_CONFIG.
func configObject(h *hub.Hub, token string, process string) string {
	return fmt.Sprintf("globalThis.IPCBUS_CONFIG = { url: %q, token: %q, process: %s };", wsURL(h), token, process)
}

// tab is one browser tab; eval runs in the preload's world.
type tab struct {
	t      *testing.T
	ctx    context.Context
	cancel context.CancelFunc
	world  runtime.ExecutionContextID // 0: the main world

	mu    sync.Mutex
	ended bool
	once  sync.Once

	argv    []string // the renderer's command line, with p.electron
	mainMu  sync.Mutex
	invokes []invoke // what the main process answered the preload
}

// openTab opens url in a new tab with the preload injected the Electron way
// (Page.addScriptToEvaluateOnNewDocument, before any page script runs) and
// waits until client.wasm runs.
func openTab(t *testing.T, url string, p preload) *tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browserCtx)
	tb := &tab{t: t, ctx: ctx, cancel: cancel}
	t.Cleanup(tb.close)
	var worldMu sync.Mutex
	var world runtime.ExecutionContextID
	err := chromedp.Listen(ctx, func(ev any) {
		switch e := ev.(type) {
		case *runtime.EventExecutionContextCreated:
			if e.Context.Name == preloadWorld {
				worldMu.Lock()
				world = e.Context.ID
				worldMu.Unlock()
			}
		case *runtime.EventConsoleAPICalled:
			var parts []string
			for _, a := range e.Args {
				if len(a.Value) > 0 {
					parts = append(parts, string(a.Value))
				} else {
					parts = append(parts, a.Description)
				}
			}
			tb.logf("console.%s: %s", e.Type, strings.Join(parts, " "))
		case *runtime.EventBindingCalled:
			if e.Name == mainBinding && p.electron != nil {
				go tb.answerMain(p.electron, e)
			}
		case *runtime.EventExceptionThrown:
			d := e.ExceptionDetails
			msg := d.Text
			if d.Exception != nil {
				msg += " " + d.Exception.Description
			}
			tb.logf("exception: %s", msg)
		}
	})
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	if !p.none {
		src, err := bundle()
		if err != nil {
			t.Fatal(err)
		}
		params := page.AddScriptToEvaluateOnNewDocumentParams{Source: p.config + "\n" + src + "\n" + helpersJS}
		if p.electron != nil {
			tb.argv = p.electron.commandLine(t)
			params.Source = p.electron.wrap(tb.argv, p.isolated, src) + "\n" + helpersJS
			bind := runtime.AddBindingParams{Name: mainBinding}
			if p.isolated {
				bind.ExecutionContextName = preloadWorld
			}
			if _, err := chromedp.Call(ctx, runtime.AddBinding, bind); err != nil {
				t.Fatalf("add the main process binding: %v", err)
			}
		}
		if p.isolated {
			params.WorldName = preloadWorld
		}
		if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, params); err != nil {
			t.Fatalf("add preload: %v", err)
		}
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		t.Fatalf("navigate %s: %v", url, err)
	}
	if p.isolated {
		worldMu.Lock()
		tb.world = world
		worldMu.Unlock()
		if tb.world == 0 {
			t.Fatalf("no execution context for the isolated world %q", preloadWorld)
		}
	}
	if !p.none && !p.noWait {
		tb.eval(`ElectronCommonIPC.ready.then(() => true)`, nil)
	}
	return tb
}

func (tb *tab) logf(format string, args ...any) {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	if !tb.ended {
		tb.t.Logf(format, args...)
	}
}

// close closes the tab, as a user closing it does.
func (tb *tab) close() {
	tb.once.Do(func() {
		tb.mu.Lock()
		tb.ended = true
		tb.mu.Unlock()
		tb.cancel()
	})
}

// eval runs expr (awaiting a Promise) in the preload's world and decodes
// its JSON value into out (unless nil). An exception fails the test.
func (tb *tab) eval(expr string, out any) {
	tb.t.Helper()
	if err := tb.tryEval(expr, out); err != nil {
		tb.t.Fatalf("eval %s: %v", abbrev(expr), err)
	}
}

func (tb *tab) tryEval(expr string, out any) error {
	ctx, cancel := context.WithTimeout(tb.ctx, 60*time.Second)
	defer cancel()
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[[]byte](expr, chromedp.EvalAwaitPromise, func(p *runtime.EvaluateParams) {
		if tb.world != 0 {
			p.ContextID = tb.world
		}
	}))
	if err != nil {
		return err
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(raw, out)
}

func abbrev(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 120 {
		return s[:120] + "…"
	}
	return s
}
