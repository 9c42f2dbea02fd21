// Command gopeer is the Go peer of the Node tests (web/tests): a native
// client of the hub at its first argument that checks and answers what
// Node sends it, on these channels:
//
//	go/values/check    a send or a request whose args should be the value
//	                   table; a send is answered on go/values/verdict, a
//	                   request resolved, with "ok" or what differs
//	go/values/get      a request, resolved with the table (one array)
//	go/values/send     a request: sends the table as args on node/values
//	go/values/ask      a request: requests node/values/check with the table
//	                   as args and resolves with the answer
//	go/call-node       a request: calls the Node service "nodecalc"'s Mul(6, 7)
//	                   and resolves with the result
//	go/echo            a request, resolved with its first argument
//	go/hostile         a request: sends on node/hostile what no decoder
//	                   should take (args nested 20,000 deep, then 4 Mi empty
//	                   maps in 4 MiB), requests node/hostile/ask with the
//	                   deep args and resolves with that request's error, then
//	                   sends node/hostile/after ("after")
//
// and it runs the service "gocalc" with Add(a, b). It prints "ready" once
// all of it is live, and stops when stdin ends.
package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"reflect"
	"strings"
	"time"

	"github.com/ipcbus/ipcbus/nativeclient"
	"github.com/ipcbus/ipcbus/shared/bus"
)

// table is the value table: what Node sends as
// [Buffer.from([1, 2, 3]), new Date(1700000000123), {a: null, b: {c: [1, null, 'x']}},
// 'x'.repeat(4096), 99999999999999, -99999999999999].
func table() []any {
	return []any{
		[]byte{1, 2, 3},
		time.UnixMilli(1700000000123).UTC(),
		map[string]any{"a": nil, "b": map[string]any{"c": []any{int64(1), nil, "x"}}},
		strings.Repeat("x", 4096),
		int64(99999999999999),
		int64(-99999999999999),
	}
}

func check(got []any) string {
	want := table()
	if len(got) != len(want) {
		return fmt.Sprintf("got %d values, want %d", len(got), len(want))
	}
	for i := range want {
		if wt, ok := want[i].(time.Time); ok {
			if gt, ok := got[i].(time.Time); !ok || !gt.Equal(wt) {
				return fmt.Sprintf("value %d = %#v, want %v", i, got[i], wt)
			}
			continue
		}
		if !reflect.DeepEqual(got[i], want[i]) {
			return fmt.Sprintf("value %d = %#v (%T), want %#v", i, got[i], got[i], want[i])
		}
	}
	return "ok"
}

// Calc is the service gocalc.
type Calc struct{}

// Add adds.
func (Calc) Add(a, b int) int { return a + b }

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: gopeer ADDR")
		os.Exit(2)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		cancel()
	}()
	c, err := nativeclient.Dial(ctx, os.Args[1], &bus.Options{Name: "gopeer"})
	if err != nil {
		fmt.Fprintln(os.Stderr, "gopeer:", err)
		os.Exit(1)
	}
	defer c.Close()
	later := func(f func(context.Context)) {
		go func() {
			cctx, ccancel := context.WithTimeout(ctx, 10*time.Second)
			defer ccancel()
			f(cctx)
		}()
	}
	c.On("go/values/check", func(e *bus.Event) {
		v, err := e.Values()
		verdict := check(v)
		if err != nil {
			verdict = err.Error()
		}
		if e.Request != nil {
			e.Request.Resolve(verdict)
			return
		}
		later(func(ctx context.Context) { c.Send(ctx, "go/values/verdict", verdict) })
	})
	c.On("go/values/get", func(e *bus.Event) { e.Request.Resolve(table()) })
	c.On("go/values/send", func(e *bus.Event) {
		req := e.Request
		later(func(ctx context.Context) {
			if err := c.Send(ctx, "node/values", table()...); err != nil {
				req.Reject(err.Error())
				return
			}
			req.Resolve("sent")
		})
	})
	c.On("go/values/ask", func(e *bus.Event) {
		req := e.Request
		later(func(ctx context.Context) {
			resp, err := c.Request(ctx, "node/values/check", table()...)
			if err != nil {
				req.Reject(err.Error())
				return
			}
			var answer string
			resp.Decode(&answer)
			req.Resolve(answer)
		})
	})
	c.On("go/call-node", func(e *bus.Event) {
		req := e.Request
		later(func(ctx context.Context) {
			proxy := bus.NewServiceProxy(c, "nodecalc", nil)
			defer proxy.Close()
			if err := proxy.Connect(ctx); err != nil {
				req.Reject(err.Error())
				return
			}
			n, err := bus.CallAs[int](ctx, proxy, "Mul", 6, 7)
			if err != nil {
				req.Reject(err.Error())
				return
			}
			req.Resolve(n)
		})
	})
	c.On("go/hostile", func(e *bus.Event) {
		req := e.Request
		deep := append(bytes.Repeat([]byte{0x91}, 20001), 0xc0)
		wide := append([]byte{0x91, 0xdd, 0x00, 0x40, 0x00, 0x00}, bytes.Repeat([]byte{0x80}, 4<<20)...)
		later(func(ctx context.Context) {
			for _, args := range [][]byte{deep, wide} {
				if err := c.SendRaw(ctx, bus.Target{}, "node/hostile", args); err != nil {
					req.Reject(err.Error())
					return
				}
			}
			_, err := c.RequestRaw(ctx, bus.Target{}, "node/hostile/ask", deep)
			if err := c.Send(ctx, "node/hostile/after", "after"); err != nil {
				req.Reject(err.Error())
				return
			}
			req.Resolve(fmt.Sprint(err))
		})
	})
	c.On("go/echo", func(e *bus.Event) {
		v, _ := e.Values()
		if len(v) == 0 {
			e.Request.Resolve(nil)
			return
		}
		e.Request.Resolve(v[0])
	})
	svc, err := bus.NewService(c, "gocalc", Calc{}, nil)
	if err == nil {
		err = svc.Start(ctx)
	}
	if err == nil {
		err = c.Conn().Flush(ctx)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gopeer:", err)
		os.Exit(1)
	}
	fmt.Println("ready")
	<-ctx.Done()
}
