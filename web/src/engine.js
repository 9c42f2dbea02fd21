// src/engine.js: the glue between client.wasm (wasmclient/) and the client
// API, shared by the preload and the Node entry: it runs the Go program
// once, makes engines (one hub connection each) and gives each a direct
// link for src/client.js or src/host.js:
//
//   link.ready            resolves once the engine takes ops
//   link.post(msg)        runs an op; undefined, or {code, message} when it
//                         failed at once
//   link.start(onBatch)   onBatch([msg, ...]) receives what the engine sends
//
// An ES module; the build (build.mjs) bundles it.
import * as codec from './codec.js';

// engineIO is what client.wasm shares with this script (wasmclient/):
// ops go in as msgpack bytes, what the engine answers comes out as
// msgpack records (io.recordMem(addr, n), read in Go's memory), and
// WebSocket frames cross as bytes written into or read from Go's memory. Nothing is built per message as JS objects
// on the Go side, where each property read or write costs microseconds;
// here it is the JIT's work. onBatch gets the records of one turn, in
// order, in a microtask of their own (never inside Go's call).
//
// The hot calls into Go are the module's exports (io.exports: ops and
// received frames written into Go's memory, then ipcbus_post or
// ipcbus_recv), not syscall/js callbacks, which cost tens of
// microseconds each; io.resume() then lets the goroutines they woke run,
// at once for a frame, in a microtask for ops.
function engineIO(onBatch, extra) {
  let queue = [];
  const flush = () => {
    const batch = queue;
    queue = [];
    try {
      onBatch(batch);
    } catch (err) {
      console.error('ipcbus:', err);
    }
  };
  const io = {
    ...extra,
    out: null, // set by the engine, which grows it: an exported call's error
    exports: null, // the module's exports, once it runs
    resume: null, // runs the goroutines woken since Go last ran
    kickQueued: false,
    // recordMem decodes a record where it is in Go's memory.
    recordMem(addr, n) {
      io.take(codec.decode(new Uint8Array(io.exports.mem.buffer, addr, n), io.copyBinary));
    },
    take(m) {
      queue.push(m);
      if (queue.length === 1) queueMicrotask(flush);
    },
    // wsSendMem sends a frame where it is in Go's memory (send copies it).
    wsSendMem(ws, addr, n) {
      ws.send(new Uint8Array(io.exports.mem.buffer, addr, n));
      return ws.bufferedAmount;
    },
    wsListen(ws, id) {
      if (typeof ws.listenFrames === 'function') { // a stream (node/stream.js)
        ws.listenFrames(io, id);
        return;
      }
      ws.onmessage = (ev) => {
        // Written into memory the engine makes for it (and keeps).
        const ex = io.exports;
        let n = -1;
        if (ev.data instanceof ArrayBuffer) {
          const b = new Uint8Array(ev.data);
          n = b.length;
          const addr = ex.ipcbus_recv_buffer(id, n);
          if (addr !== 0) new Uint8Array(ex.mem.buffer, addr, n).set(b);
        }
        ex.ipcbus_recv(id, n);
        io.resume();
      };
    },
  };
  return io;
}

// packArgs joins the arguments (each one msgpack value) into the msgpack
// array the engine sends as it is; anything else is left for the engine
// to refuse.
function packArgs(args) {
  const n = argsSize(args);
  if (n < 0) return args;
  const out = new Uint8Array(n);
  writeArgs(out, 0, args);
  return out;
}

// argsSize is the size of the msgpack array of args, each one msgpack
// value in a Uint8Array or a large binary to encode ({bigBin}: see
// client.js's _encodeArgs); -1 when args is not so.
function argsSize(args) {
  if (!Array.isArray(args)) return -1;
  let n = args.length < 16 ? 1 : args.length < 0x10000 ? 3 : 5;
  for (const a of args) {
    if (a instanceof Uint8Array) n += a.length;
    else if (a && a.bigBin instanceof Uint8Array) n += 5 + a.bigBin.length;
    else return -1;
  }
  return n;
}

// writeArgs writes the msgpack array of args into out at pos and returns
// where it ends.
function writeArgs(out, pos, args) {
  const k = args.length;
  if (k < 16) {
    out[pos++] = 0x90 | k;
  } else if (k < 0x10000) {
    out[pos++] = 0xdc;
    out[pos++] = k >> 8;
    out[pos++] = k & 0xff;
  } else {
    out[pos++] = 0xdd;
    out[pos++] = k >>> 24;
    out[pos++] = (k >> 16) & 0xff;
    out[pos++] = (k >> 8) & 0xff;
    out[pos++] = k & 0xff;
  }
  for (const a of args) {
    if (a instanceof Uint8Array) {
      out.set(a, pos);
      pos += a.length;
      continue;
    }
    const v = a.bigBin; // a msgpack bin 32, written where it goes: one copy
    const k = v.length;
    out[pos] = 0xc6;
    out[pos + 1] = k >>> 24;
    out[pos + 2] = (k >> 16) & 0xff;
    out[pos + 3] = (k >> 8) & 0xff;
    out[pos + 4] = k & 0xff;
    out.set(v, pos + 5);
    pos += 5 + k;
  }
  return pos;
}

// kick lets the goroutines an exported call woke run (the writer of a
// send, a new deadline), once per turn.
function kick(io) {
  if (io.kickQueued) return;
  io.kickQueued = true;
  queueMicrotask(() => {
    io.kickQueued = false;
    io.resume();
  });
}

// post encodes op msg for the engine and runs it through the export
// ipcbus_post (a send through ipcbus_send: postSend).
function post(engine, io, msg) {
  const ex = io.exports;
  if (msg.op === 'send' && msg.to === undefined && msg.seq === undefined && typeof msg.channel === 'string') {
    const r = postSend(engine, io, ex, msg);
    if (r !== null) return r;
  }
  let b;
  try {
    b = codec.encode(msg.args === undefined ? msg : { ...msg, args: packArgs(msg.args) });
  } catch (err) {
    return { code: 'bad-call', message: `ipcbus: engine: ${err.message}` };
  }
  // Written into memory the engine makes for the op (and keeps).
  const addr = ex.ipcbus_op_buffer(b.length);
  new Uint8Array(ex.mem.buffer, addr, b.length).set(b);
  const n = ex.ipcbus_post(engine.id, b.length);
  kick(io);
  return n > 0 ? codec.decode(io.out.subarray(0, n)) : undefined;
}

// postSend runs a send through ipcbus_send (wasmclient/exports.go): the
// channel's UTF-8 and the msgpack array of the arguments written straight
// into the op's memory, no op map to encode or decode. null: args that are
// not all Uint8Arrays, left for post to refuse.
const utf8 = new TextEncoder();
function postSend(engine, io, ex, msg) {
  const n = argsSize(msg.args);
  if (n < 0) return null;
  const channel = msg.channel;
  const size = channel.length * 3 + n;
  const addr = ex.ipcbus_op_buffer(size);
  const mem = new Uint8Array(ex.mem.buffer, addr, size);
  const chanLen = utf8.encodeInto(channel, mem).written;
  const end = writeArgs(mem, chanLen, msg.args);
  const r = ex.ipcbus_send(engine.id, msg.client, chanLen, end);
  kick(io);
  return r > 0 ? codec.decode(io.out.subarray(0, r)) : undefined;
}

// runWasm runs client.wasm once: makeGo is wasm_exec.js's Go class,
// instantiate(importObject) returns the module's instance, and scope is the
// object the Go program sees as its global (globalThis in a preload; in
// Node a scope of its own, so that nothing leaks into the app's globals).
// It resolves to {api, exports, resume} once the program has booted.
export async function runWasm(Go, instantiate, scope) {
  const go = new Go();
  const instance = await instantiate(go.importObject);
  const booted = new Promise((resolve) => { scope.__ipcbusBoot = resolve; });
  go.run(instance).then(() => console.error('ipcbus: client.wasm exited'));
  const api = await booted;
  delete scope.__ipcbusBoot;
  if (typeof instance.exports.ipcbus_post !== 'function') throw new Error('ipcbus: client.wasm has no exports (built with an older Go?)');
  return { api, exports: instance.exports, resume: () => go._resume() };
}

// startEngine makes an engine once wasm (runWasm's Promise) resolves and
// returns a direct link to it. config: {url, token, process}; url is a
// WebSocket URL (its token query included) or, with extra.streamOpen, a
// stream address ("unix:PATH", "tcp:HOST:PORT"). extra adds to the engine's
// I/O object: WebSocket (a constructor to use instead of the global one),
// streamOpen(url) (node/stream.js), copyBinary(view) (the copy of a binary
// value of a record, codec.decode's copy).
export function startEngine(wasm, config, extra) {
  let onBatch = (/** @type {any[]} */ _batch) => {};
  const io = engineIO((batch) => onBatch(batch), extra || {});
  const link = {
    engine: null,
    loadMillis: 0,
    start(fn) { onBatch = fn; },
    post(msg) {
      if (!link.engine) return { code: 'not-ready', message: 'ipcbus: client.wasm is not loaded yet' };
      return post(link.engine, io, msg);
    },
  };
  const t0 = performance.now();
  link.ready = Promise.resolve(wasm).then((w) => {
    io.exports = w.exports;
    io.resume = w.resume;
    link.engine = w.api.newEngine({ url: config.url, token: config.token, process: config.process }, io);
    link.loadMillis = performance.now() - t0;
  });
  return link;
}
