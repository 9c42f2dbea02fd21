package hub

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Static files (Config.Web: client.wasm, its loader, the demo) are served
// with an ETag made of their content's hash and Cache-Control no-cache, so
// a browser revalidates and gets 304 until the file changes; text and wasm
// files go gzipped to clients that accept it. The hash is computed at the
// first request for a content (a file's size and modification time), the
// gzipped bytes then on a goroutine of the hub's, once, while that request
// and those before the gzip is ready get the file as it is; both are kept,
// the gzipped bytes within staticCacheBytes in all.
const (
	staticMaxFile    = 64 << 20 // larger files are served as they are, without an ETag
	staticCacheBytes = 64 << 20 // gzipped bytes kept, all files together
)

// compressible lists the extensions worth gzipping.
var compressible = map[string]bool{
	".wasm": true, ".js": true, ".mjs": true, ".html": true, ".css": true, ".json": true,
	".map": true, ".ts": true, ".svg": true, ".txt": true,
}

type staticFiles struct {
	fsys  fs.FS
	files http.Handler
	// background runs the gzip of a file on a goroutine Shutdown waits
	// for, which stops early once quit is closed; false once shut down.
	background func(fn func()) bool
	quit       <-chan struct{}

	mu      sync.Mutex
	entries map[string]*staticEntry
	kept    int // gzipped bytes held by entries
}

// staticEntry is what is known of one content of one file.
type staticEntry struct {
	size    int64
	modTime time.Time
	once    sync.Once
	etag    string // "" when the file could not be read
	raw     []byte // the content, until it is gzipped; guarded by staticFiles.mu
	zipping bool   // the gzip is being made, or was; guarded by staticFiles.mu
	gz      []byte // once made; guarded by staticFiles.mu
}

func (h *Hub) newStaticFiles(fsys fs.FS) *staticFiles {
	return &staticFiles{
		fsys:    fsys,
		files:   http.FileServerFS(fsys),
		entries: make(map[string]*staticEntry),
		quit:    h.quit,
		background: func(fn func()) bool {
			h.mu.Lock()
			defer h.mu.Unlock()
			return h.goTrackedLocked(fn)
		},
	}
}

func (s *staticFiles) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-cache")
	// Static code only (the token is never in a file): any origin, opaque
	// ones included, may fetch it.
	w.Header().Set("Access-Control-Allow-Origin", "*")
	name := strings.TrimPrefix(path.Clean("/"+r.URL.Path), "/")
	e := s.entry(name)
	if e == nil || e.etag == "" || r.Method != http.MethodGet && r.Method != http.MethodHead {
		s.files.ServeHTTP(w, r) // directories, index.html redirects, large files, errors
		return
	}
	w.Header().Add("Vary", "Accept-Encoding")
	if acceptsGzip(r.Header.Get("Accept-Encoding")) {
		if gz := s.gzipped(name, e); gz != nil {
			w.Header().Set("ETag", `"`+e.etag+`-gz"`)
			w.Header().Set("Content-Encoding", "gzip")
			http.ServeContent(w, r, name, e.modTime, bytes.NewReader(gz))
			return
		}
	}
	// The file server answers If-None-Match against the ETag set here.
	w.Header().Set("ETag", `"`+e.etag+`"`)
	s.files.ServeHTTP(w, r)
}

// entry returns the entry of the regular file name in its current content,
// hashing it at the first request for that content; nil for anything else.
func (s *staticFiles) entry(name string) *staticEntry {
	if name == "" || strings.HasSuffix(name, "/index.html") || name == "index.html" {
		return nil
	}
	fi, err := fs.Stat(s.fsys, name)
	if err != nil || !fi.Mode().IsRegular() || fi.Size() > staticMaxFile {
		return nil
	}
	s.mu.Lock()
	e := s.entries[name]
	if e == nil || e.size != fi.Size() || !e.modTime.Equal(fi.ModTime()) {
		if e != nil {
			s.kept -= len(e.gz)
		}
		e = &staticEntry{size: fi.Size(), modTime: fi.ModTime()}
		s.entries[name] = e
	}
	s.mu.Unlock()
	e.once.Do(func() {
		b, err := fs.ReadFile(s.fsys, name)
		if err != nil || int64(len(b)) != e.size {
			return // changed while read: the next request sees a new size or time
		}
		sum := sha256.Sum256(b)
		e.etag = hex.EncodeToString(sum[:12])
		if compressible[path.Ext(name)] {
			s.mu.Lock()
			e.raw = b
			s.mu.Unlock()
		}
	})
	return e
}

// gzipped returns e's gzipped bytes, or nil while they are not made (it
// starts making them) or when they are not worth it.
func (s *staticFiles) gzipped(name string, e *staticEntry) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e.gz != nil || e.zipping || e.raw == nil {
		return e.gz
	}
	e.zipping = true
	raw := e.raw
	s.background(func() { s.zip(name, e, raw) })
	return nil
}

// zip gzips raw, the content of e, and keeps the result when it is
// smaller and within the budget.
func (s *staticFiles) zip(name string, e *staticEntry, raw []byte) {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	for rest := raw; len(rest) > 0; {
		select {
		case <-s.quit:
			return // shutting down
		default:
		}
		n := min(len(rest), 256<<10)
		zw.Write(rest[:n])
		rest = rest[n:]
	}
	zw.Close()
	s.mu.Lock()
	defer s.mu.Unlock()
	e.raw = nil
	if buf.Len() >= len(raw) || s.entries[name] != e || s.kept+buf.Len() > staticCacheBytes {
		return
	}
	e.gz = buf.Bytes()
	s.kept += len(e.gz)
}

// acceptsGzip reports whether an Accept-Encoding header admits gzip (or
// "*") with a non-zero quality.
func acceptsGzip(header string) bool {
	for _, part := range strings.Split(header, ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		coding = strings.ToLower(strings.TrimSpace(coding))
		if coding != "gzip" && coding != "*" {
			continue
		}
		q := 1.0
		for _, p := range strings.Split(params, ";") {
			k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
			if ok && strings.TrimSpace(k) == "q" {
				if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
					q = f
				}
			}
		}
		return q > 0
	}
	return false
}
