//go:build !js

package bus_test

import (
	"context"
	"fmt"
	"log"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/ipcbus/ipcbus/hub"
	"github.com/ipcbus/ipcbus/nativeclient"
	"github.com/ipcbus/ipcbus/shared/bus"
)

// exampleHub starts a hub on a socket in a temp dir for an example and
// returns its address and how to stop it.
func exampleHub() (addr string, stop func()) {
	dir, _ := os.MkdirTemp("", "ipcbus-example-")
	h, err := hub.New(hub.Config{UnixPath: filepath.Join(dir, "hub.sock"), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		log.Fatal(err)
	}
	if err := h.Listen(); err != nil {
		log.Fatal(err)
	}
	go h.Serve(context.Background())
	return h.Addr("unix"), func() {
		h.Shutdown(context.Background())
		os.RemoveAll(dir)
	}
}

// A request answered by another peer, decoded into a type.
func ExampleRequestAs() {
	addr, stop := exampleHub()
	defer stop()
	ctx := context.Background()
	math, _ := nativeclient.Dial(ctx, addr, &bus.Options{Name: "math"})
	defer math.Close()
	math.On("math/add", func(e *bus.Event) {
		var a, b int
		if err := e.Args(&a, &b); err != nil {
			e.Request.Reject(err.Error())
			return
		}
		e.Request.Resolve(a + b)
	})
	math.Flush(ctx) // the listener is live on the hub

	c, _ := nativeclient.Dial(ctx, addr, nil)
	defer c.Close()
	sum, err := bus.RequestAs[int](ctx, c, "math/add", 2, 3) // 2000 ms unless ctx says otherwise
	fmt.Println(sum, err)
	_, err = c.Request(ctx, "math/mul", 2, 3)
	fmt.Println(err)
	// Output:
	// 5 <nil>
	// ipcbus: request on "math/mul": ipcbus: no listener on the channel
}

// Greeter is a service's outer value: its exported methods are handlers.
type Greeter struct{}

func (Greeter) Hello(name string) string { return "hello, " + name }

// A service, and a proxy in another process calling it.
func ExampleService() {
	addr, stop := exampleHub()
	defer stop()
	ctx := context.Background()
	sc, _ := nativeclient.Dial(ctx, addr, &bus.Options{Name: "greeter"})
	defer sc.Close()
	// JSName: proxies in pages and Node call Hello as "hello".
	svc, _ := bus.NewService(sc, "greeter", Greeter{}, &bus.ServiceOptions{MethodName: bus.JSName})
	svc.Start(ctx)
	defer svc.Stop(ctx)

	pc, _ := nativeclient.Dial(ctx, addr, nil)
	defer pc.Close()
	p := bus.NewServiceProxy(pc, "greeter", nil)
	defer p.Close()
	if err := p.Connect(ctx); err != nil { // waits for the start
		log.Fatal(err)
	}
	st, _ := p.LastStatus()
	fmt.Println(st.CallHandlers)
	s, err := bus.CallAs[string](ctx, p, "hello", "gopher")
	fmt.Println(s, err)
	// Output:
	// [hello]
	// hello, gopher <nil>
}

// A MessagePort: one end posted with a message, the other end's messages
// answered on it.
func ExampleClient_PostMessage() {
	addr, stop := exampleHub()
	defer stop()
	ctx := context.Background()
	worker, _ := nativeclient.Dial(ctx, addr, &bus.Options{Name: "worker"})
	defer worker.Close()
	worker.On("work/port", func(e *bus.Event) {
		port := e.Ports[0]
		port.OnMessage(func(m *bus.PortMessage) {
			var s string
			m.Decode(&s)
			port.Post(ctx, strings.ToUpper(s))
		})
	})
	worker.Flush(ctx)

	c, _ := nativeclient.Dial(ctx, addr, nil)
	defer c.Close()
	port := c.NewPort()
	answers := make(chan string, 1)
	port.OnMessage(func(m *bus.PortMessage) {
		var s string
		m.Decode(&s)
		answers <- s
	})
	c.PostMessage(ctx, "work/port", "here is a port", port)
	port.Post(ctx, "shout this")
	fmt.Println(<-answers)
	port.Close()
	// Output: SHOUT THIS
}
