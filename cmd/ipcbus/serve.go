package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/ipcbus/ipcbus/hub"
	"github.com/ipcbus/ipcbus/internal/tokenfile"
	"github.com/ipcbus/ipcbus/nativeclient"
	"github.com/ipcbus/ipcbus/shared/wire"
)

func init() {
	commands["serve"] = command{"[--unix PATH] [--tcp H:P] [--ws H:P] [--token-file F]", "run the hub until SIGINT or SIGTERM", runServe}
}

// stringList is a repeatable flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

// intList is a repeatable flag of integers.
type intList []int

func (s *intList) String() string { return fmt.Sprint([]int(*s)) }
func (s *intList) Set(v string) error {
	n, err := strconv.Atoi(v)
	if err != nil {
		return err
	}
	*s = append(*s, n)
	return nil
}

func runServe(ctx context.Context, args []string, out io.Writer) int {
	fs := newFlagSet("serve")
	unixPath := fs.String("unix", nativeclient.DefaultUnixPath(), `Unix socket path ("" for none); its folder is created 0700, and refused if another user owns it or others may write it`)
	tcpAddr := fs.String("tcp", fmt.Sprintf("127.0.0.1:%d", nativeclient.DefaultTCPPort), `TCP listener host:port ("" for none)`)
	wsAddr := fs.String("ws", "", "WebSocket listener host:port for renderers and pages (default none)")
	allowRemote := fs.Bool("allow-remote", false, "allow --tcp and --ws beyond the loopback interface (logged as a warning)")
	var allowUIDs intList
	fs.Var(&allowUIDs, "allow-uid", "a user id, besides this one, allowed on the Unix socket (repeatable; open the socket's mode to it too)")
	web := fs.String("web", "", "directory served over HTTP on the WebSocket listener (client.wasm, demo)")
	token := fs.String("token", "", "the token TCP and WebSocket clients must present (default $"+nativeclient.EnvToken+", else --token-file, else generated); visible to other users in /proc/PID/cmdline: prefer --token-file or $"+nativeclient.EnvToken)
	tokenFile := fs.String("token-file", "", "read the token from this file when it exists, else write the generated one there (mode 0600)")
	var origins stringList
	fs.Var(&origins, "allow-origin", "browser origin allowed to connect (repeatable; \"null\" for sandboxed frames)")
	maxFrame := fs.Int("max-frame", wire.DefaultMaxFrameBytes, "largest frame accepted, in bytes")
	maxHello := fs.Int("max-hello-frame", 64<<10, "largest frame accepted before hello, in bytes")
	maxPending := fs.Int("max-pending", 64<<20, "outbound queue limit per connection, in bytes")
	maxConns := fs.Int("max-conns", 16384, "connections per listener")
	maxPendingHello := fs.Int("max-pending-hello", 256, "connections waiting for hello, all listeners together")
	maxPeers := fs.Int("max-peers", 1024, "peers per connection")
	maxSubs := fs.Int("max-subscriptions", 65536, "subscriptions per connection")
	maxPeerSubs := fs.Int("max-peer-subscriptions", 16384, "subscriptions per peer")
	handshake := fs.Duration("handshake-timeout", wire.DefaultHandshakeTimeout, "time a connection has to say hello (and an HTTP connection to send its request)")
	ping := fs.Duration("ping-interval", 30*time.Second, "ping interval for quiet connections")
	refusalLog := fs.Duration("refusal-log-interval", 10*time.Second, "how often refused connections are logged, as counts")
	lameDuck := fs.Duration("lame-duck", time.Second, "on SIGTERM, spread the closes (clients told to reconnect) over this window")
	logLevel := fs.String("log-level", "info", "debug, info, warn or error")
	logFormat := fs.String("log-format", "text", "text (key=value) or json (one object a line)")
	natsConfig := natsFlags(fs)
	parentStdin := fs.Bool("parent-stdin", false, "stop when stdin ends: the parent that started the hub holds the other end of that pipe, so the hub never outlives it, even when it is killed")
	rest, code, ok := parseFlags(fs, args, out)
	if !ok {
		return code
	}
	if len(rest) > 0 {
		fmt.Fprintf(stderr, "ipcbus serve: takes flags only, not %q\n", rest[0])
		return exitUsage
	}
	if *unixPath == "" && *tcpAddr == "" && *wsAddr == "" {
		fmt.Fprintln(stderr, "ipcbus serve: no listener: give at least one of --unix PATH, --tcp HOST:PORT, --ws HOST:PORT")
		return exitUsage
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		fmt.Fprintln(stderr, "ipcbus serve: --log-level:", err)
		return exitUsage
	}
	logger, err := newLogger(stderr, *logFormat, level)
	if err != nil {
		fmt.Fprintln(stderr, "ipcbus serve:", err)
		return exitUsage
	}

	if *token == "" {
		*token = os.Getenv(nativeclient.EnvToken)
	}
	writeTokenFile := false
	if *tokenFile != "" && *token == "" {
		f, err := tokenfile.Read(*tokenFile)
		switch {
		case err == nil:
			*token = f.Token
		case errors.Is(err, os.ErrNotExist):
			writeTokenFile = true
		default:
			fmt.Fprintln(stderr, "ipcbus serve: --token-file:", err)
			return exitFailed
		}
	}
	cfg := hub.Config{
		UnixPath:                *unixPath,
		AllowUIDs:               allowUIDs,
		TCPAddr:                 *tcpAddr,
		WSAddr:                  *wsAddr,
		AllowRemote:             *allowRemote,
		Token:                   *token,
		AllowedOrigins:          origins,
		MaxFrameBytes:           *maxFrame,
		MaxHelloBytes:           *maxHello,
		MaxPendingBytes:         *maxPending,
		MaxConnsPerListener:     *maxConns,
		MaxPendingHello:         *maxPendingHello,
		MaxPeersPerConn:         *maxPeers,
		MaxSubscriptionsPerConn: *maxSubs,
		MaxSubscriptionsPerPeer: *maxPeerSubs,
		HandshakeTimeout:        *handshake,
		PingInterval:            *ping,
		RefusalLogInterval:      *refusalLog,
		LameDuckWindow:          *lameDuck,
		NATS:                    natsConfig(),
		Logger:                  logger,
	}
	if *web != "" {
		if fi, err := os.Stat(*web); err != nil || !fi.IsDir() {
			fmt.Fprintf(stderr, "ipcbus serve: --web %s is not a directory (run `make` to build it)\n", *web)
			return exitFailed
		}
		cfg.Web = os.DirFS(*web)
	}
	h, err := hub.New(cfg)
	if err != nil {
		fmt.Fprintln(stderr, "ipcbus serve:", err)
		return exitUsage
	}
	if err := h.Listen(); err != nil {
		fmt.Fprintln(stderr, "ipcbus serve:", err)
		if errors.Is(err, hub.ErrSocketInUse) {
			fmt.Fprintln(stderr, "ipcbus serve: another hub is running; stop it or choose --unix PATH")
		}
		return exitFailed
	}
	if writeTokenFile {
		if err := tokenfile.Write(*tokenFile, tokenfile.File{Token: h.Token()}); err != nil {
			fmt.Fprintln(stderr, "ipcbus serve: --token-file:", err)
			h.Shutdown(ctx)
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
		fmt.Fprintln(stderr, "ipcbus serve:", err)
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
	} else if a := h.ConnectAddr("tcp"); a != "" {
		fmt.Fprintf(w, "  export %s=%s\n", nativeclient.EnvAddr, a)
	}
	for _, kind := range []string{"unix", "tcp"} {
		if a := h.ConnectAddr(kind); a != "" {
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
	switch f := h.TokenFile(); {
	case f == nativeclient.DefaultTokenPath():
		fmt.Fprintf(w, "Clients of this user find the token in %s; others need it given (--token-file, $%s).\n", f, nativeclient.EnvToken)
	case f != "":
		fmt.Fprintf(w, "The token is in %s (give it to clients with --token-file).\n", f)
	}
	printFederation(w, h)
	self := selfName()
	fmt.Fprintf(w, "Try: %s listen greeting   and, in another shell:   %s send greeting '\"hello\"'\n", self, self)
}

// newLogger returns the hub's logger: format "text" (key=value) or "json"
// (one object a line), on w, from level up.
func newLogger(w io.Writer, format string, level slog.Level) (*slog.Logger, error) {
	opts := &slog.HandlerOptions{Level: level}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format: %q is neither text nor json", format)
}
