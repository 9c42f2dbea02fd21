//go:build js && wasm

// Command wasmclient is client.wasm: the ipcbus client engine for
// renderers, bound to JavaScript with syscall/js.
//
// It speaks a small message protocol, JS objects in and out, so that the
// public JavaScript API (web/src/client.js) can reach it directly in a
// preload or over a MessagePort from a page or a frame. Payloads cross as
// msgpack bytes (Uint8Array), encoded and decoded in JavaScript, and so do
// the ops and what the engine answers (msgp.go): the Go side never walks
// JS values. web/README.md lists the ops.
//
// On start, main calls globalThis.__ipcbusBoot(api) once, where api is
// {newEngine(config, io) → {id}}, then parks forever: the
// exported functions die with the Go program. io holds the functions the
// engine shares with JavaScript (web/src/engine.js); id names the engine
// in the calls of the module's exports (exports.go).
//
// Every function JavaScript can call returns at once. Work that waits (a
// dial, a request, a close) runs on its own goroutine and answers with a
// message: blocking inside a syscall/js callback kills the Go instance.
package main

import "syscall/js"

func main() {
	api := js.Global().Get("Object").New()
	api.Set("newEngine", js.FuncOf(func(_ js.Value, args []js.Value) any {
		if len(args) < 2 || args[1].Type() != js.TypeObject || args[1].Get("recordMem").Type() != js.TypeFunction {
			return jsError("bad-call", "newEngine(config, io): io must be the engine's I/O object (web/src/engine.js)")
		}
		return newEngine(args[0], args[1]).jsObject()
	}))
	boot := js.Global().Get("__ipcbusBoot")
	if boot.Type() != js.TypeFunction {
		println("ipcbus: client.wasm: globalThis.__ipcbusBoot is not a function; nothing to bind to")
		return
	}
	boot.Invoke(api)
	select {}
}
