package procs

import (
	"context"
	"embed"
	"encoding/binary"
	"encoding/json"
	"flag"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/coder/websocket"
	"github.com/ipcbus/ipcbus/bench/internal/proto"
)

// maxEchoMessage bounds the messages the echo server reads (the bench's
// largest payload is 1 MiB).
const maxEchoMessage = 8 << 20

//go:embed page
var page embed.FS

// Echo serves the browser bench's page and its baseline: a plain WebSocket
// server, not the hub, with the same library the hub uses
// (coder/websocket), on loopback.
//
//   - /bench/ is the page (page/), cross-origin isolated (COOP and COEP
//     headers) so that its timers have 5 µs steps rather than 100 µs; it
//     loads the ipcbus preload bundle and client.wasm from the hub.
//   - /echo writes every message back as it came.
//   - /sink?ack=K&warmup=W counts binary messages and writes the count (8
//     bytes, big-endian) every K of them; an empty message ends the run, and
//     the sink answers it with a text message, JSON {count, firstNs, lastNs}:
//     the messages after the W-th and the times of the W-th and the last, as
//     the bench's receivers count.
func Echo(args []string) error {
	fs := flag.NewFlagSet("echo", flag.ContinueOnError)
	if err := fs.Parse(args); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	files := http.FileServerFS(page)
	mux.Handle("/bench/", http.StripPrefix("/bench", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Cache-Control", "no-store")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cross-Origin-Embedder-Policy", "require-corp")
		r.URL.Path = "/page" + r.URL.Path
		files.ServeHTTP(w, r)
	})))
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		serveWS(w, r, echo)
	})
	mux.HandleFunc("/sink", func(w http.ResponseWriter, r *http.Request) {
		every, _ := strconv.Atoi(r.URL.Query().Get("ack"))
		warmup, _ := strconv.Atoi(r.URL.Query().Get("warmup"))
		serveWS(w, r, func(ctx context.Context, c *websocket.Conn) { sink(ctx, c, max(every, 1), warmup) })
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	hello(proto.Reply{Addr: ln.Addr().String()})
	untilStdinCloses()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	srv.Shutdown(ctx)
	return nil
}

func serveWS(w http.ResponseWriter, r *http.Request, fn func(context.Context, *websocket.Conn)) {
	c, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: true})
	if err != nil {
		return
	}
	defer c.CloseNow()
	c.SetReadLimit(maxEchoMessage)
	fn(r.Context(), c)
}

func echo(ctx context.Context, c *websocket.Conn) {
	for {
		typ, b, err := c.Read(ctx)
		if err != nil {
			return
		}
		if err := c.Write(ctx, typ, b); err != nil {
			return
		}
	}
}

type sinkSummary struct {
	Count   int   `json:"count"`
	FirstNS int64 `json:"firstNs"`
	LastNS  int64 `json:"lastNs"`
}

func sink(ctx context.Context, c *websocket.Conn, every, warmup int) {
	var (
		count           int
		first, last, t0 int64
		ack             [8]byte
	)
	for {
		_, b, err := c.Read(ctx)
		if err != nil {
			return
		}
		if len(b) == 0 {
			break
		}
		count++
		last = time.Now().UnixNano()
		if count == 1 {
			t0 = last
		}
		if count == warmup || (warmup == 0 && count == 1) {
			first = last
		}
		if count%every == 0 {
			binary.BigEndian.PutUint64(ack[:], uint64(count))
			if err := c.Write(ctx, websocket.MessageBinary, ack[:]); err != nil {
				return
			}
		}
	}
	s := sinkSummary{Count: count - max(warmup, 1), FirstNS: first, LastNS: last}
	if s.Count <= 0 { // cut short of the warm-up: timed from the first
		s.Count, s.FirstNS = count-1, t0
	}
	b, _ := json.Marshal(s)
	c.Write(ctx, websocket.MessageText, b)
}
