package hub_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ipcbus/ipcbus/hub"
	"github.com/ipcbus/ipcbus/hub/hubtest"
)

// countingFS counts the files opened in it.
type countingFS struct {
	fs.StatFS
	opens atomic.Int32
}

func (c *countingFS) Open(name string) (fs.File, error) {
	c.opens.Add(1)
	return c.StatFS.Open(name)
}

// get fetches path with the given request headers; no transparent gzip.
func get(t *testing.T, base, path string, hdr ...string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, base+path, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	tr := &http.Transport{DisableCompression: true}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

// TestClientWasmIsServedGzippedWithAnETag: client.wasm goes gzipped to a
// browser that accepts it, as it is to one that does not, each with an
// ETag a revalidation answers 304 to until the file changes; the gzip is
// made once per content, not per request, and the file is served as it is
// until it is ready.
func TestClientWasmIsServedGzippedWithAnETag(t *testing.T) {
	dir := t.TempDir()
	wasm := bytes.Repeat([]byte("\x00asm client engine "), 50000) // ~1 MB, compressible
	file := filepath.Join(dir, "client.wasm")
	if err := os.WriteFile(file, wasm, 0o644); err != nil {
		t.Fatal(err)
	}
	web := &countingFS{StatFS: os.DirFS(dir).(fs.StatFS)}
	h := hubtest.Start(t, hub.Config{WSAddr: "127.0.0.1:0", Web: web})
	base := "http://" + strings.TrimPrefix(h.Addr("ws"), "ws:")

	// The first requests get the file as it is while the hub gzips it.
	var resp *http.Response
	var body []byte
	hubtest.Eventually(t, 10*time.Second, "client.wasm gzipped", func() bool {
		resp, body = get(t, base, "/client.wasm", "Accept-Encoding", "br, gzip;q=0.8")
		if resp.StatusCode != 200 {
			t.Fatalf("GET with gzip accepted: %d, %v", resp.StatusCode, resp.Header)
		}
		if resp.Header.Get("Content-Encoding") == "" && !bytes.Equal(body, wasm) {
			t.Fatalf("GET while gzipping: %d bytes, not the file", len(body))
		}
		return resp.Header.Get("Content-Encoding") == "gzip"
	})
	if got := resp.Header.Get("Cache-Control"); got != "no-cache" {
		t.Errorf("Cache-Control %q, want no-cache (revalidate)", got)
	}
	if got := resp.Header.Get("Content-Type"); got != "application/wasm" {
		t.Errorf("Content-Type %q, want application/wasm (streaming compilation needs it)", got)
	}
	if !strings.Contains(resp.Header.Get("Vary"), "Accept-Encoding") {
		t.Errorf("Vary %q lacks Accept-Encoding", resp.Header.Get("Vary"))
	}
	if len(body) > len(wasm)/10 {
		t.Errorf("gzipped body %d bytes for %d", len(body), len(wasm))
	}
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if plain, err := io.ReadAll(zr); err != nil || !bytes.Equal(plain, wasm) {
		t.Fatalf("gunzipped body differs from the file (%v)", err)
	}
	gzTag := resp.Header.Get("ETag")
	if gzTag == "" {
		t.Fatal("no ETag")
	}

	resp, body = get(t, base, "/client.wasm")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Encoding") != "" || !bytes.Equal(body, wasm) {
		t.Fatalf("GET without gzip: %d, %v, %d bytes", resp.StatusCode, resp.Header, len(body))
	}
	plainTag := resp.Header.Get("ETag")
	if plainTag == "" || plainTag == gzTag {
		t.Fatalf("ETags %q (plain) and %q (gzip): want two, different", plainTag, gzTag)
	}
	if resp, _ := get(t, base, "/client.wasm", "Accept-Encoding", "gzip;q=0"); resp.Header.Get("Content-Encoding") != "" {
		t.Errorf("gzip;q=0 got Content-Encoding %q", resp.Header.Get("Content-Encoding"))
	}

	opens := web.opens.Load()
	for range 5 {
		resp, body := get(t, base, "/client.wasm", "Accept-Encoding", "gzip", "If-None-Match", gzTag)
		if resp.StatusCode != http.StatusNotModified || len(body) != 0 {
			t.Fatalf("revalidation: %d, %d bytes", resp.StatusCode, len(body))
		}
		if resp, _ := get(t, base, "/client.wasm", "Accept-Encoding", "gzip"); resp.StatusCode != 200 {
			t.Fatalf("GET: %d", resp.StatusCode)
		}
	}
	if resp, _ := get(t, base, "/client.wasm", "If-None-Match", plainTag); resp.StatusCode != http.StatusNotModified {
		t.Fatalf("plain revalidation: %d", resp.StatusCode)
	}
	if n := web.opens.Load() - opens; n != 1 { // the plain revalidation's own
		t.Errorf("ten gzipped requests and a plain one opened the file %d times, want 1", n)
	}

	// A new build: a new ETag, and the new content.
	wasm = append(wasm, "v2"...)
	if err := os.WriteFile(file, wasm, 0o644); err != nil {
		t.Fatal(err)
	}
	os.Chtimes(file, time.Now().Add(time.Minute), time.Now().Add(time.Minute))
	resp, body = get(t, base, "/client.wasm", "Accept-Encoding", "gzip", "If-None-Match", gzTag)
	if resp.StatusCode != 200 || resp.Header.Get("ETag") == gzTag || resp.Header.Get("ETag") == plainTag {
		t.Fatalf("after a rebuild: %d, ETag %q (was %q)", resp.StatusCode, resp.Header.Get("ETag"), gzTag)
	}
	if resp.Header.Get("Content-Encoding") == "gzip" {
		zr, _ = gzip.NewReader(bytes.NewReader(body))
		body, _ = io.ReadAll(zr)
	}
	if !bytes.Equal(body, wasm) {
		t.Fatal("after a rebuild: the old content")
	}
}
