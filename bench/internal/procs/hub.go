package procs

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/ipcbus/ipcbus/bench/internal/proto"
	"github.com/ipcbus/ipcbus/hub"
)

// Hub runs an ipcbus hub with default limits on a Unix socket, TCP and
// WebSocket listener (loopback, random ports); with -web it also serves
// that directory on the WebSocket listener, as `ipcbus serve --web` does.
func Hub(args []string) error {
	fs := flag.NewFlagSet("hub", flag.ContinueOnError)
	unix := fs.String("unix", "", "Unix socket path")
	web := fs.String("web", "", "directory served over HTTP on the WebSocket listener (web/build.sh's output)")
	origin := fs.String("origin", "", "a browser origin allowed to open WebSockets besides the hub's own (the browser bench's page)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg := hub.Config{
		UnixPath: *unix,
		TCPAddr:  "127.0.0.1:0",
		WSAddr:   "127.0.0.1:0",
		Logger:   slog.New(slog.DiscardHandler),
	}
	if *web != "" {
		cfg.Web = os.DirFS(*web)
	}
	if *origin != "" {
		cfg.AllowedOrigins = []string{*origin}
	}
	h, err := hub.New(cfg)
	if err != nil {
		return err
	}
	if err := h.Listen(); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.Serve(ctx) }()
	// The TCP and WebSocket addresses carry the token clients present.
	hello(proto.Reply{Addrs: []string{h.ConnectAddr("unix"), h.ConnectAddr("tcp"), h.ConnectAddr("ws")}})
	untilStdinCloses()
	cancel()
	select {
	case err := <-done:
		return err
	case <-time.After(6 * time.Second):
		return fmt.Errorf("hub: shutdown took too long")
	}
}
