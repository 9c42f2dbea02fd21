package hub_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"os"
	"path/filepath"

	"github.com/ipcbus/ipcbus/hub"
	"github.com/ipcbus/ipcbus/nativeclient"
	"github.com/ipcbus/ipcbus/shared/bus"
)

// A hub embedded in an app: it listens on a Unix socket, and the app's
// own clients connect to it like any other process.
func ExampleNew() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dir, _ := os.MkdirTemp("", "ipcbus-example-")
	defer os.RemoveAll(dir)

	h, err := hub.New(hub.Config{UnixPath: filepath.Join(dir, "hub.sock")})
	if err != nil {
		log.Fatal(err)
	}
	if err := h.Listen(); err != nil { // reports a busy socket before serving
		log.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- h.Serve(ctx) }() // until ctx ends or Shutdown

	c, err := nativeclient.Dial(ctx, h.Addr("unix"), &bus.Options{Name: "app"})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	state, err := bus.RequestAs[hub.State](ctx, c, bus.ChannelQueryState)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(state.Connections), "connection:", state.Connections[0].Peers[0].Name)

	h.Shutdown(ctx)
	fmt.Println("served:", <-served)
	// Output:
	// 1 connection: app
	// served: <nil>
}

// The WebSocket bridge in the app's own HTTP server, beside its pages.
func ExampleHub_WebSocketHandler() {
	h, err := hub.New(hub.Config{
		UnixPath:       filepath.Join(os.TempDir(), "example-app.sock"),
		AllowedOrigins: []string{"http://localhost:8080"}, // the app's pages
	})
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/ipcbus", h.WebSocketHandler())
	mux.Handle("/", http.FileServer(http.Dir("static")))
	// Pages connect to ws://localhost:8080/ipcbus?token=h.Token().
	go h.Serve(context.Background())
	log.Fatal(http.ListenAndServe("localhost:8080", mux))
}
