package procs

import (
	"context"
	"errors"
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
// With -federated it runs two such hubs, federated through a NATS server
// embedded in the first, and tells both hubs' addresses.
func Hub(args []string) error {
	fs := flag.NewFlagSet("hub", flag.ContinueOnError)
	unix := fs.String("unix", "", "Unix socket path")
	web := fs.String("web", "", "directory served over HTTP on the WebSocket listener (web/build.sh's output)")
	origin := fs.String("origin", "", "a browser origin allowed to open WebSockets besides the hub's own (the browser bench's page)")
	federated := fs.Bool("federated", false, "two hubs federated over an embedded NATS server (the second on -unix plus \"-b\")")
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
	var cfgs []hub.Config
	if *federated {
		a, b := cfg, cfg
		a.NATS = hub.NATSConfig{Embedded: true, ListenAddr: "127.0.0.1:0", HubID: 1}
		b.UnixPath = *unix + "-b"
		cfgs = []hub.Config{a, b}
	} else {
		cfgs = []hub.Config{cfg}
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var hubs []*hub.Hub
	var addrs []string
	var dones []chan error
	for i, c := range cfgs {
		if i > 0 {
			c.NATS = hub.NATSConfig{URLs: []string{hubs[0].NATSClientURL()}, HubID: uint32(i + 1)}
		}
		h, err := hub.New(c)
		if err != nil {
			return err
		}
		if err := h.Listen(); err != nil {
			return err
		}
		hubs = append(hubs, h)
		done := make(chan error, 1)
		go func() { done <- h.Serve(ctx) }()
		dones = append(dones, done)
		// The TCP and WebSocket addresses carry the token clients present.
		addrs = append(addrs, h.ConnectAddr("unix"), h.ConnectAddr("tcp"), h.ConnectAddr("ws"))
	}
	hello(proto.Reply{Addrs: addrs})
	untilStdinCloses()
	cancel()
	timeout := time.After(6 * time.Second)
	var errs []error
	for _, done := range dones {
		select {
		case err := <-done:
			errs = append(errs, err)
		case <-timeout:
			return fmt.Errorf("hub: shutdown took too long")
		}
	}
	return errors.Join(errs...)
}
