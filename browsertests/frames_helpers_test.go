package browsertests

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/ipcbus/ipcbus/hub"
	"github.com/ipcbus/ipcbus/shared/bus"
)

// evalPage runs expr (awaiting a Promise) in the page's main world, where
// a page's own scripts run, and decodes its JSON value into out (unless
// nil). An exception fails the test.
func (tb *tab) evalPage(expr string, out any) {
	tb.t.Helper()
	if err := tb.tryEvalPage(expr, out); err != nil {
		tb.t.Fatalf("eval in the page %s: %v", abbrev(expr), err)
	}
}

func (tb *tab) tryEvalPage(expr string, out any) error {
	ctx, cancel := context.WithTimeout(tb.ctx, 60*time.Second)
	defer cancel()
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[[]byte](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		return err
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(raw, out)
}

// openPage opens testdata/page.html, which loads ipcbus-page.bundle.js, with
// the preload in an isolated world, in app, and waits until
// the page's API is ready over its port.
func openPage(t *testing.T, h *hub.Hub, app *electronApp) *tab {
	t.Helper()
	tb := openTab(t, pageURL(h, "/test/page.html"), preload{isolated: true, electron: app})
	tb.evalPage(`ElectronCommonIPC.ready.then(() => true)`, nil)
	return tb
}

// otherOrigin is a page of the hub under its other host name
// (http://localhost:PORT): another origin, and another site.
func otherOrigin(h *hub.Hub, path string) string {
	_, port, _ := splitHostPort(hostPort(h))
	return fmt.Sprintf("http://localhost:%s%s", port, path)
}

func splitHostPort(hp string) (host, port string, ok bool) {
	for i := len(hp) - 1; i >= 0; i-- {
		if hp[i] == ':' {
			return hp[:i], hp[i+1:], true
		}
	}
	return hp, "", false
}

// frameStatus is what a test frame reports to its parent (T.runFrame).
type frameStatus struct {
	Name   string   `json:"name"`
	OK     bool     `json:"ok"`
	Err    string   `json:"err"`
	Code   string   `json:"code"`
	Peer   bus.Peer `json:"peer"`
	Origin string   `json:"origin"`
}

// drive runs body (the body of an async JS function of T) in the peer
// that serves ctl/name (T.serve), through the bus, and decodes its result
// into out (unless nil).
func drive(t *testing.T, c *bus.Client, name, body string, out any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	resp, err := c.Request(ctx, "ctl/"+name, body)
	if err != nil {
		t.Fatalf("drive %s: %s: %v", name, abbrev(body), err)
	}
	if out != nil {
		if err := decodeJSON(resp, out); err != nil {
			t.Fatalf("drive %s: decode into %T: %v", name, out, err)
		}
	}
}

// decodeJSON decodes a response through JSON, so that out's json tags
// apply as they do to what eval returns.
func decodeJSON(resp *bus.Response, out any) error {
	v, err := resp.Value()
	if err != nil {
		return err
	}
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, out)
}

// connOf returns the index of the connection carrying peer id, or -1.
func (s hubState) connOf(id uint64) int {
	for i, c := range s.Connections {
		for _, p := range c.Peers {
			if p.ID == id {
				return i
			}
		}
	}
	return -1
}

// jsString quotes s for JavaScript.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// queryState asks the hub for its state through c.
func queryState(t *testing.T, c *bus.Client) hubState {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := c.Request(ctx, "/electron-common-ipc/queryState")
	if err != nil {
		t.Fatalf("queryState: %v", err)
	}
	var s hubState
	if err := decodeJSON(resp, &s); err != nil {
		t.Fatal(err)
	}
	return s
}
