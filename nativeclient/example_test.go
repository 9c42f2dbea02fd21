package nativeclient_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/ipcbus/ipcbus/hub"
	"github.com/ipcbus/ipcbus/nativeclient"
	"github.com/ipcbus/ipcbus/shared/bus"
)

// The README's example, against a hub of its own.
func Example() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "ipcbus-example-")
	defer os.RemoveAll(dir)
	h, _ := hub.New(hub.Config{UnixPath: filepath.Join(dir, "hub.sock")})
	h.Listen()
	go h.Serve(ctx)
	defer h.Shutdown(ctx)

	c, err := nativeclient.Dial(ctx, h.Addr("unix"), nil)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	c.On("greeting", func(e *bus.Event) {
		var who string
		e.Args(&who)
		if e.Request != nil {
			e.Request.Resolve("hello, " + who)
		}
	})
	c.Conn().Flush(ctx)                               // the subscription is in place
	resp, err := c.Request(ctx, "greeting", "gopher") // 2000 ms unless ctx says otherwise
	if err != nil {
		log.Fatal(err)
	}
	var answer string
	resp.Decode(&answer)
	fmt.Println(answer)
	// Output: hello, gopher
}
