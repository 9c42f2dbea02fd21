//go:build js && wasm

package main

import (
	"sync"
	"syscall/js"
	"time"

	"github.com/ipcbus/ipcbus/shared/bus"
	"github.com/ipcbus/ipcbus/shared/wire"
)

// engine is one hub connection with the JS clients on it. JavaScript
// drives it with post(msg); it answers through deliver([msg, ...]).
//
// Each JS client (CreateIpcBusClient) is a bus.Client on the engine's one
// bus.Conn: a renderer's peers share a WebSocket. The Conn is dialled when
// the first client connects and closed when the last one closes.
type engine struct {
	out  *outbox
	opts bus.Options
	dial bus.Dialer
	post js.Func

	mu      sync.Mutex
	conn    *bus.Conn
	clients map[int]*clientState // by the JS side's client id
	reqs    requestTable
	pt      portTable // transferred MessagePorts (ports.go)
}

// clientState is one JS client and its listener registrations, keyed by
// the JS side's listener ids.
type clientState struct {
	id int
	cl *bus.Client

	mu        sync.Mutex
	listeners map[int]registration
}

type registration struct {
	channel string
	id      bus.ListenerID
}

// newEngine reads config: {url, token, process: {type, pid, rid, wcid}}.
// url is the WebSocket URL, token query included; token also goes in hello.
func newEngine(config, deliver js.Value) *engine {
	proc := processOf(config.Get("process"))
	if proc.Type == "" {
		proc.Type = wire.ProcessRenderer
	}
	e := &engine{
		out:     newOutbox(deliver),
		dial:    wsDialer(str(config, "url")),
		clients: make(map[int]*clientState),
	}
	e.opts = bus.Options{
		Token:   str(config, "token"),
		Process: proc,
		// Requests always come with the JS side's deadline; none is forever.
		RequestTimeout: -1,
		OnError:        func(err error) { e.out.push(message("error", "error", errorValue(err))) },
	}
	e.reqs.init()
	e.pt = portTable{bound: make(map[int]*bus.Port), given: make(map[*bus.Port]int), sent: make(map[*bus.Port]int)}
	e.out.ports = e.eventPorts
	e.post = js.FuncOf(func(_ js.Value, args []js.Value) any {
		if len(args) < 1 || args[0].Type() != js.TypeObject {
			return jsError("bad-call", "post(msg): msg must be an object")
		}
		if r, ok := e.portOp(args[0]); ok {
			return r
		}
		return e.handle(args[0])
	})
	return e
}

func (e *engine) jsObject() js.Value {
	o := newObject()
	o.Set("post", e.post)
	return o
}

// connFor returns the engine's connection, making a new one if the last
// has ended. Call with e.mu held.
func (e *engine) connForLocked() *bus.Conn {
	if e.conn != nil && e.conn.Status() != bus.StatusClosed {
		return e.conn
	}
	var conn *bus.Conn
	opts := e.opts
	opts.OnClose = func(err error) { e.connEnded(conn, err) }
	conn = bus.NewConn(e.dial, opts)
	e.conn = conn
	return conn
}

// connEnded tells the JS clients of a connection that ended under them.
func (e *engine) connEnded(conn *bus.Conn, cause error) {
	e.mu.Lock()
	var gone []int
	for id, cs := range e.clients {
		if cs.cl.Conn() == conn {
			gone = append(gone, id)
			delete(e.clients, id)
		}
	}
	if e.conn == conn {
		e.conn = nil
	}
	e.mu.Unlock()
	for _, id := range gone {
		m := message("closed", "error", errorValue(cause))
		m.Set("client", id)
		e.out.push(m)
	}
}

// detachLocked removes client id and returns the connection to close when
// it was the last client on it. Call with e.mu held.
func (e *engine) detachLocked(id int, cs *clientState) *bus.Conn {
	if e.clients[id] == cs {
		delete(e.clients, id)
	}
	conn := cs.cl.Conn()
	for _, other := range e.clients {
		if other.cl.Conn() == conn {
			return nil
		}
	}
	if e.conn == conn {
		e.conn = nil
	}
	return conn
}

// millis turns a JS delay in ms into a duration; ok is false for "none".
func millis(v js.Value) (time.Duration, bool) {
	if v.Type() != js.TypeNumber || v.Float() <= 0 {
		return 0, false
	}
	return time.Duration(v.Float() * float64(time.Millisecond)), true
}
