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
// drives it through the exports (exports.go): an op, msgpack-encoded
// (msgp.go), written into Go's memory; it answers with records through
// io.recordMem (outbox.go).
//
// Each JS client (CreateIpcBusClient) is a bus.Client on the engine's one
// bus.Conn: a renderer's peers share a WebSocket. The Conn is dialled when
// the first client connects and closed when the last one closes.
type engine struct {
	out  *outbox
	opts bus.Options
	dial bus.Dialer
	id   int32 // for the exported entry points (exports.go)

	mu       sync.Mutex
	conn     *bus.Conn
	clients  map[int]*clientState // by the JS side's client id
	reqs     requestTable
	timeouts timeouts  // of the requests JavaScript makes
	pt       portTable // transferred MessagePorts (ports.go)
}

// clientState is one JS client and the channels it listens to, each with
// the engine's one listener of it.
type clientState struct {
	id int
	cl *bus.Client

	mu        sync.Mutex
	listening map[string]bus.ListenerID
}

// newEngine reads config: {url, token, process: {type, pid, rid, wcid}}.
// url is the WebSocket URL, token query included; token also goes in hello.
// io is what the engine and JavaScript share (web/src/engine.js makes
// it): byte buffers and the functions that move bytes through them.
func newEngine(config, io js.Value) *engine {
	proc := processOf(config.Get("process"))
	if proc.Type == "" {
		proc.Type = wire.ProcessRenderer
	}
	e := &engine{
		out:     newOutbox(io),
		dial:    wsDialer(str(config, "url"), newWSIO(io)),
		clients: make(map[int]*clientState),
	}
	e.id = register(e)
	e.opts = bus.Options{
		Token:   str(config, "token"),
		Process: proc,
		// Requests always come with the JS side's deadline; none is forever.
		RequestTimeout: -1,
		OnError: func(err error) {
			e.out.push(func(r rec) rec { return r.mapLen(2).str("op", "error").err("error", err) })
		},
	}
	e.reqs.init()
	e.pt = portTable{bound: make(map[int]*bus.Port), given: make(map[*bus.Port]int), sent: make(map[*bus.Port]int)}
	e.out.ports = e.eventPorts
	return e
}

func (e *engine) jsObject() js.Value {
	o := newObject()
	o.Set("id", e.id)
	return o
}

// run runs the op encoded in b, which it keeps.
func (e *engine) run(b []byte) error {
	m, err := decodeOp(b)
	if err != nil {
		return &callError{code: "bad-call", msg: err.Error()}
	}
	if err, ok := e.portOp(m); ok {
		return err
	}
	return e.handle(m)
}

// connForLocked returns the engine's connection, making a new one if the
// last has ended, with the reconnect options of spec (those of the client
// whose connect opens it). A lost connection is dialled again as the first
// one was (Options.Redial), and its changes of status reach the JS clients
// (status.go). Call with e.mu held.
func (e *engine) connForLocked(spec reconnectSpec) *bus.Conn {
	if e.conn != nil && e.conn.Status() != bus.StatusClosed {
		return e.conn
	}
	var conn *bus.Conn
	opts := e.opts
	spec.apply(&opts)
	opts.Redial = e.dial
	opts.OnStatus = func(ch bus.StatusChange) { e.statusChanged(conn, ch) }
	opts.OnClose = func(err error) { e.connEnded(conn, err) }
	conn = bus.NewConn(e.dial, &opts)
	e.conn = conn
	return conn
}

// connEnded tells the JS clients of a connection that ended under them.
// It runs twice for a connection that had connected (OnStatus, in order
// with the events, then OnClose): the second finds no client left.
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
		e.out.push(func(r rec) rec { return r.mapLen(3).str("op", "closed").int("client", id).err("error", cause) })
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
func millis(ms float64) (time.Duration, bool) {
	if !(ms > 0) {
		return 0, false
	}
	return time.Duration(ms * float64(time.Millisecond)), true
}
