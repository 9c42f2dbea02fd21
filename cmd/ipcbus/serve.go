package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ipcbus/ipcbus/hub"
	"github.com/ipcbus/ipcbus/nativeclient"
	"github.com/ipcbus/ipcbus/shared/wire"
)

func init() {
	commands["serve"] = command{"[--unix PATH] [--tcp H:P] [--ws H:P]", "run the hub until SIGINT or SIGTERM", runServe}
}

// stringList is a repeatable flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

func runServe(ctx context.Context, args []string, out io.Writer) int {
	fs := flag.NewFlagSet("ipcbus serve", flag.ContinueOnError)
	unixPath := fs.String("unix", nativeclient.DefaultUnixPath(), `Unix socket path ("" for none)`)
	tcpAddr := fs.String("tcp", fmt.Sprintf("127.0.0.1:%d", nativeclient.DefaultTCPPort), `TCP listener host:port ("" for none)`)
	wsAddr := fs.String("ws", "", "WebSocket listener host:port for renderers and pages (default none)")
	web := fs.String("web", "", "directory served over HTTP on the WebSocket listener (client.wasm, demo)")
	token := fs.String("token", "", "token clients must present (default: generated for WebSockets)")
	tokenFile := fs.String("token-file", "", "write the WebSocket token to this file (mode 0600)")
	var origins stringList
	fs.Var(&origins, "allow-origin", "browser origin allowed to connect (repeatable; \"null\" for sandboxed frames)")
	maxFrame := fs.Int("max-frame", wire.DefaultMaxFrameBytes, "largest frame accepted, in bytes")
	maxPending := fs.Int("max-pending", 64<<20, "outbound queue limit per connection, in bytes")
	handshake := fs.Duration("handshake-timeout", wire.DefaultHandshakeTimeout, "time a connection has to say hello")
	ping := fs.Duration("ping-interval", 30*time.Second, "ping interval for quiet connections")
	logLevel := fs.String("log-level", "info", "debug, info, warn or error")
	parentStdin := fs.Bool("parent-stdin", false, "stop when stdin ends: the parent that started the hub holds the other end of that pipe, so the hub never outlives it, even when it is killed")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		fmt.Fprintln(os.Stderr, "ipcbus serve: --log-level:", err)
		return exitUsage
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	if *unixPath != "" {
		// The default path's folder is this user's alone.
		if err := os.MkdirAll(filepath.Dir(*unixPath), 0o700); err != nil {
			fmt.Fprintln(os.Stderr, "ipcbus serve:", err)
			return exitFailed
		}
	}
	cfg := hub.Config{
		UnixPath:         *unixPath,
		TCPAddr:          *tcpAddr,
		WSAddr:           *wsAddr,
		Token:            *token,
		AllowedOrigins:   origins,
		MaxFrameBytes:    *maxFrame,
		MaxPendingBytes:  *maxPending,
		HandshakeTimeout: *handshake,
		PingInterval:     *ping,
		Logger:           logger,
	}
	if *web != "" {
		if fi, err := os.Stat(*web); err != nil || !fi.IsDir() {
			fmt.Fprintf(os.Stderr, "ipcbus serve: --web %s is not a directory (run `make` to build it)\n", *web)
			return exitFailed
		}
		cfg.Web = os.DirFS(*web)
	}
	h, err := hub.New(cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "ipcbus serve:", err)
		return exitUsage
	}
	if err := h.Listen(); err != nil {
		fmt.Fprintln(os.Stderr, "ipcbus serve:", err)
		if errors.Is(err, hub.ErrSocketInUse) {
			fmt.Fprintln(os.Stderr, "ipcbus serve: another hub is running; stop it or choose --unix PATH")
		}
		return exitFailed
	}
	if *tokenFile != "" && h.Token() != "" {
		if err := os.WriteFile(*tokenFile, []byte(h.Token()+"\n"), 0o600); err != nil {
			fmt.Fprintln(os.Stderr, "ipcbus serve:", err)
			return exitFailed
		}
	}
	if *parentStdin {
		// The parent is gone: its own connections went with it, and the
		// others get half a second to close, not Serve's five.
		go stopAtEOF(serveStdin, func() {
			sctx, cancel := context.WithTimeout(context.Background(), parentGoneGrace)
			defer cancel()
			if err := h.Shutdown(sctx); err != nil && !errors.Is(err, hub.ErrClosed) {
				logger.Warn("shutdown after stdin ended", "err", err)
			}
		})
	}
	printHowToConnect(out, h, *web != "")
	if err := h.Serve(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "ipcbus serve:", err)
		return exitFailed
	}
	return exitOK
}

// serveStdin is what --parent-stdin watches (a pipe in tests).
var serveStdin io.Reader = os.Stdin

// parentGoneGrace is how long connections get to close once the parent has
// gone (--parent-stdin).
const parentGoneGrace = 500 * time.Millisecond

// stopAtEOF calls stop once r ends or fails: the process at its other end
// has gone, or closed it to stop the hub.
func stopAtEOF(r io.Reader, stop func()) {
	_, _ = io.Copy(io.Discard, r)
	stop()
}

func printHowToConnect(w io.Writer, h *hub.Hub, web bool) {
	fmt.Fprintln(w, "ipcbus hub is running. Connect with:")
	if a := h.Addr("unix"); a != "" {
		fmt.Fprintf(w, "  export %s=%s\n", nativeclient.EnvAddr, a)
	} else if a := h.Addr("tcp"); a != "" {
		fmt.Fprintf(w, "  export %s=%s\n", nativeclient.EnvAddr, a)
	}
	for _, kind := range []string{"unix", "tcp"} {
		if a := h.Addr(kind); a != "" {
			fmt.Fprintf(w, "  %-4s %s\n", kind, a)
		}
	}
	if u := h.WSURL(); u != "" {
		fmt.Fprintf(w, "  ws   %s\n", u)
		if web {
			httpURL := "http://" + strings.TrimPrefix(h.Addr("ws"), "ws:")
			fmt.Fprintf(w, "  demo %s/demo/?ipcbus-token=%s  (open it in two tabs)\n", httpURL, h.Token())
		}
	}
	fmt.Fprintln(w, "Try: ipcbus listen greeting   and, in another shell:   ipcbus send greeting '\"hello\"'")
}
