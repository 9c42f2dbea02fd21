package hub_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/ipcbus/ipcbus/hub"
	"github.com/ipcbus/ipcbus/hub/hubtest"
)

// TestInspectorPageTakesTheToken: the inspector page is served with the
// token only, under a Content-Security-Policy; its script to anyone.
func TestInspectorPageTakesTheToken(t *testing.T) {
	h := hubtest.Start(t, hub.Config{WSAddr: "127.0.0.1:0"})
	base := "http://" + strings.TrimPrefix(h.Addr("ws"), "ws:")
	get := func(path string) (*http.Response, string) {
		t.Helper()
		resp, err := noKeepAlive.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	if resp, _ := get("/inspector"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("/inspector without the token: %s", resp.Status)
	}
	resp, page := get("/inspector?token=" + h.Token())
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, `<script src="/inspector/app.js">`) || !strings.Contains(resp.Header.Get("Content-Security-Policy"), "default-src 'self'") {
		t.Errorf("/inspector with the token: %s, CSP %q", resp.Status, resp.Header.Get("Content-Security-Policy"))
	}
	if resp, js := get("/inspector/app.js"); resp.StatusCode != http.StatusOK || !strings.Contains(js, "/electron-common-ipc/spy") {
		t.Errorf("/inspector/app.js: %s", resp.Status)
	}
	if resp, _ := get("/inspector/other"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("/inspector/other: %s", resp.Status)
	}
}
