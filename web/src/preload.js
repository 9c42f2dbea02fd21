// ipcbus-preload.js: loads client.wasm and defines window.ElectronCommonIPC.
//
// Runs after wasm_exec.js, ipcbus-codec.js, ipcbus-client.js and
// ipcbus-host.js (the build concatenates them into ipcbus-preload.bundle.js,
// which is what an Electron preload or a page loads). The host
// (ipcbus-host.js) also answers, over MessagePorts, the page when this
// preload runs in an isolated world (the page loads ipcbus-page.bundle.js)
// and the frames it grants: they all share the renderer's one connection.
// In a subframe it does nothing: frames go through the top page's preload.
// Configuration, later sources winning:
//   1. the page's URL: ?ipcbus-url=ws://HOST:PORT/ws&ipcbus-token=T (or in
//      the #fragment); a page the hub serves itself needs only the token
//   2. the preload's arguments, process.argv, as Electron's
//      webPreferences.additionalArguments passes them:
//      --ipcbus-url=ws://HOST:PORT/ws --ipcbus-token=T [--ipcbus-wcid=N]
//      [--ipcbus-rid=N] [--ipcbus-pid=N] [--ipcbus-name=NAME] [--ipcbus-wasm=URL]
//      [--ipcbus-frames=ORIGIN,ORIGIN...]
//   3. a config object set before the preload runs:
//      globalThis.IPCBUS_CONFIG = {url, token, wasm, name, process: {wcid, rid, pid},
//        frames: [origin, ...], portCloseEvent, pingMillis}
// frames (never read from the page's URL) lists the origins of the frames
// that get a port without grantFrame: "null" for sandboxed frames, "*" for
// any. portCloseEvent: false makes the host ignore MessagePort's close event
// and watch frames by pings (pingMillis apart, default 1000) as it does
// where Chromium has no such event.
// client.wasm is fetched from the hub (http://HOST:PORT/client.wasm) unless
// wasm names another URL.
(() => {
  'use strict';

  // A subframe: the top page's preload serves it (ipcbus-page.js asks).
  if (typeof window !== 'undefined' && window.top !== window) return;

  const keys = ['url', 'token', 'wasm', 'name', 'wcid', 'rid', 'pid'];

  function fromParams(params) {
    const c = {};
    for (const k of keys) {
      const v = params.get(`ipcbus-${k}`);
      if (v !== null) c[k] = v;
    }
    return c;
  }

  function fromLocation() {
    const loc = globalThis.location;
    if (!loc || !loc.href) return {};
    const c = fromParams(new URLSearchParams(loc.search));
    Object.assign(c, fromParams(new URLSearchParams(loc.hash.replace(/^#/, ''))));
    if (!c.url && (loc.protocol === 'http:' || loc.protocol === 'https:')) {
      c.url = `${loc.protocol === 'https:' ? 'wss' : 'ws'}://${loc.host}/ws`;
    }
    return c;
  }

  function fromArgv() {
    const argv = globalThis.process && Array.isArray(globalThis.process.argv) ? globalThis.process.argv : [];
    const c = {};
    for (const a of argv) {
      const m = /^--ipcbus-([a-z]+)=(.*)$/.exec(String(a));
      if (m && keys.includes(m[1])) c[m[1]] = m[2];
      if (m && m[1] === 'frames') c.frames = m[2];
    }
    return c;
  }

  function fromObject() {
    const o = globalThis.IPCBUS_CONFIG;
    if (!o || typeof o !== 'object') return {};
    const c = { ...o, ...(o.process || {}) };
    delete c.process;
    return c;
  }

  function readConfig() {
    const c = { ...fromLocation(), ...fromArgv(), ...fromObject() };
    if (!c.url) throw new Error('ipcbus: no hub URL (ipcbus-url in the page URL, --ipcbus-url= in the preload arguments, or IPCBUS_CONFIG.url)');
    const ws = new URL(c.url);
    ws.searchParams.delete('token');
    const wsURL = new URL(ws);
    if (c.token) wsURL.searchParams.set('token', c.token);
    const http = new URL(ws);
    http.protocol = ws.protocol === 'wss:' ? 'https:' : 'http:';
    const process = { type: 'renderer', isMainFrame: true };
    const own = globalThis.process && globalThis.process.pid; // Electron's renderer pid
    if (c.pid === undefined && Number.isInteger(own) && own > 0) c.pid = own;
    for (const k of ['pid', 'wcid', 'rid']) {
      const n = Number(c[k]);
      if (Number.isInteger(n) && n > 0) process[k] = n;
    }
    return {
      url: ws.href,
      wsURL: wsURL.href,
      token: c.token || '',
      wasm: c.wasm || new URL('/client.wasm', http).href,
      name: c.name || '',
      process,
      frames: (Array.isArray(c.frames) ? c.frames : String(c.frames || '').split(',')).map((o) => String(o).trim()).filter(Boolean),
      portCloseEvent: c.portCloseEvent,
      pingMillis: Number(c.pingMillis) || 0,
    };
  }

  async function instantiate(url, imports) {
    const resp = await fetch(url);
    if (!resp.ok) throw new Error(`ipcbus: fetching ${url}: HTTP ${resp.status}`);
    if (WebAssembly.instantiateStreaming && /wasm/.test(resp.headers.get('Content-Type') || '')) {
      return (await WebAssembly.instantiateStreaming(resp, imports)).instance;
    }
    return (await WebAssembly.instantiate(await resp.arrayBuffer(), imports)).instance;
  }

  // engineIO is what client.wasm shares with this script (wasmclient/):
  // ops go in as msgpack bytes, what the engine answers comes out as
  // msgpack records (io.out, then io.record(n)), and WebSocket frames
  // cross through byte buffers. Nothing is built per message as JS objects
  // on the Go side, where each property read or write costs microseconds;
  // here it is the JIT's work. onBatch gets the records of one turn, in
  // order, in a microtask of their own (never inside Go's call).
  //
  // The hot calls into Go are the module's exports (io.exports: ops and
  // received frames written into Go's memory, then ipcbus_post or
  // ipcbus_recv), not syscall/js callbacks, which cost tens of
  // microseconds each; io.resume() then lets the goroutines they woke run,
  // at once for a frame, in a microtask for ops. Without the exports
  // (engine.post(n) with the op in io.in) it works the same, slower.
  const IN_SIZE = 64 * 1024;
  function engineIO(onBatch) {
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
      in: new Uint8Array(IN_SIZE),
      out: null, // set by the engine, which grows it
      exports: null, // the module's exports, once it runs
      resume: null, // runs the goroutines woken since Go last ran
      kickQueued: false,
      record(n, bytes) {
        io.take(ipcbusCodec.decode(bytes || io.out.subarray(0, n)));
      },
      // recordMem decodes a record where it is in Go's memory.
      recordMem(addr, n) {
        io.take(ipcbusCodec.decode(new Uint8Array(io.exports.mem.buffer, addr, n)));
      },
      take(m) {
        if (m.op === '+id') { // one more listener of the event queued last
          const last = queue[queue.length - 1];
          if (last && last.op === 'event') last.ids.push(m.id);
          return;
        }
        queue.push(m);
        if (queue.length === 1) queueMicrotask(flush);
      },
      wsSend(ws, buf, n) {
        ws.send(n === buf.length ? buf : buf.subarray(0, n));
        return ws.bufferedAmount;
      },
      // wsSendMem sends a frame where it is in Go's memory (send copies it).
      wsSendMem(ws, addr, n) {
        ws.send(new Uint8Array(io.exports.mem.buffer, addr, n));
        return ws.bufferedAmount;
      },
      wsListen(ws, buf, fn, id) {
        ws.onmessage = (ev) => {
          const ex = io.exports;
          if (ex) {
            // Written into memory the engine makes for it (and keeps).
            let n = -1;
            if (ev.data instanceof ArrayBuffer) {
              const b = new Uint8Array(ev.data);
              n = b.length;
              const addr = ex.ipcbus_recv_buffer(id, n);
              if (addr !== 0) new Uint8Array(ex.mem.buffer, addr, n).set(b);
            }
            ex.ipcbus_recv(id, n);
            io.resume();
            return;
          }
          if (!(ev.data instanceof ArrayBuffer)) {
            fn(-1);
            return;
          }
          const b = new Uint8Array(ev.data);
          if (b.length > buf.length) {
            fn(b.length, b);
            return;
          }
          buf.set(b);
          fn(b.length);
        };
      },
    };
    return io;
  }

  // packArgs joins the arguments (each one msgpack value) into the msgpack
  // array the engine sends as it is; anything else is left for the engine
  // to refuse.
  function packArgs(args) {
    if (!Array.isArray(args)) return args;
    let n = args.length < 16 ? 1 : args.length < 0x10000 ? 3 : 5;
    for (const a of args) {
      if (!(a instanceof Uint8Array)) return args;
      n += a.length;
    }
    const out = new Uint8Array(n);
    let pos;
    if (args.length < 16) {
      out[0] = 0x90 | args.length;
      pos = 1;
    } else if (args.length < 0x10000) {
      out[0] = 0xdc;
      out[1] = args.length >> 8;
      out[2] = args.length & 0xff;
      pos = 3;
    } else {
      out[0] = 0xdd;
      new DataView(out.buffer).setUint32(1, args.length);
      pos = 5;
    }
    for (const a of args) {
      out.set(a, pos);
      pos += a.length;
    }
    return out;
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

  // post encodes op msg for the engine and runs it: through the export
  // ipcbus_post when there is one, else the engine's post, called as a
  // plain function (a method call would hand Go `this` too, one more JS
  // reference and finalizer per op).
  function post(engine, io, msg) {
    let b;
    try {
      b = ipcbusCodec.encode(msg.args === undefined ? msg : { ...msg, args: packArgs(msg.args) });
    } catch (err) {
      return { code: 'bad-call', message: `ipcbus: engine: ${err.message}` };
    }
    const ex = io.exports;
    if (ex) {
      // Written into memory the engine makes for the op (and keeps).
      const addr = ex.ipcbus_op_buffer(b.length);
      new Uint8Array(ex.mem.buffer, addr, b.length).set(b);
      const n = ex.ipcbus_post(engine.id, b.length);
      kick(io);
      return n > 0 ? ipcbusCodec.decode(io.out.subarray(0, n)) : undefined;
    }
    const enginePost = engine.post;
    if (b.length <= io.in.length) {
      io.in.set(b);
      return enginePost(b.length);
    }
    return enginePost(b.length, b);
  }

  // startEngine runs client.wasm and returns a direct link to its engine.
  function startEngine(config) {
    let onBatch = () => {};
    const io = engineIO((batch) => onBatch(batch));
    const link = {
      engine: null,
      start(fn) { onBatch = fn; },
      post(msg) {
        if (!link.engine) return { code: 'not-ready', message: 'ipcbus: client.wasm is not loaded yet' };
        return post(link.engine, io, msg);
      },
    };
    const t0 = performance.now();
    link.ready = (async () => {
      const go = new Go();
      const instance = await instantiate(config.wasm, go.importObject);
      const booted = new Promise((resolve) => { globalThis.__ipcbusBoot = resolve; });
      go.run(instance).then(() => console.error('ipcbus: client.wasm exited'));
      const api = await booted;
      delete globalThis.__ipcbusBoot;
      if (typeof instance.exports.ipcbus_post === 'function') {
        io.exports = instance.exports;
        io.resume = () => go._resume();
      }
      link.engine = api.newEngine({ url: config.wsURL, token: config.token, process: config.process }, io);
      link.loadMillis = performance.now() - t0;
    })();
    return link;
  }

  let config;
  let link;
  let failure;
  try {
    config = readConfig();
    link = startEngine(config);
  } catch (err) {
    failure = err;
    link = { ready: Promise.reject(err), start() {}, post() { return { code: 'not-ready', message: String(err) }; } };
  }
  link.ready.catch((err) => console.error('ipcbus:', err));
  const host = new ipcbusHost.Host(link, {
    process: config ? config.process : { type: 'renderer', isMainFrame: true },
    name: config ? config.name : '',
    frameOrigins: config ? config.frames : [],
    closeEvent: config ? config.portCloseEvent : undefined,
    pingMillis: config ? config.pingMillis : 0,
  });
  if (typeof window !== 'undefined') host.listen(window);
  const session = ipcbusClient.createSession(host.localLink());

  const api = {
    IPCBUS_CHANNEL_QUERY_STATE: ipcbusClient.IPCBUS_CHANNEL_QUERY_STATE,
    IPCBUS_CHANNEL_SERVICE_AVAILABLE: ipcbusClient.IPCBUS_CHANNEL_SERVICE_AVAILABLE,
    // CreateIpcBusClient returns a client; several share the renderer's one
    // connection, each a peer of its own.
    CreateIpcBusClient(options) {
      const o = { ...(options || {}) };
      o.peerName = o.peerName || config && config.name;
      o.process = config ? { ...config.process } : { type: 'renderer', isMainFrame: true }; // the host gives it anyway
      return session.createClient(o);
    },
    // grantFrame lets iframe (an element of this document) have a port: the
    // documents it loads become peers of type renderer-frame on this
    // renderer's connection.
    grantFrame(iframe) {
      try {
        host.grant(iframe);
        return Promise.resolve();
      } catch (err) {
        return Promise.reject(err);
      }
    },
    // ready resolves once client.wasm runs (connect waits for it anyway).
    ready: link.ready,
    // loadMillis is how long fetching and starting client.wasm took.
    get loadMillis() { return link.loadMillis; },
    // the hub's WebSocket URL, without the token
    hubURL: config ? config.url : undefined,
  };
  // services and proxies (ipcbus-service.js), when the bundle has them
  if (typeof ipcbusService !== 'undefined') Object.assign(api, ipcbusService);
  if (failure) api.error = failure;
  Object.defineProperty(globalThis, 'ElectronCommonIPC', { value: Object.freeze(api), enumerable: true });
})();
