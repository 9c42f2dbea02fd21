// src/host.js: the preload's side of a renderer. One engine (client.wasm,
// one WebSocket) serves several sessions of ipcbus-client.js:
//
//   - the preload's own (a direct link, localLink());
//   - the page's, over a MessagePort the page's shim (ipcbus-page.js) asks
//     for with window.postMessage when the preload runs in an isolated world
//     (contextIsolation on);
//   - each granted frame's, over a MessagePort its shim asks its parent for.
//
// Each session is an endpoint here. The host gives every endpoint's clients
// engine-wide ids, routes replies and events back to the endpoint they
// belong to, fixes the process identity of the peers an endpoint creates
// (the page is the renderer; a frame is a 'renderer-frame' with a frame id
// and isMainFrame false), and lets an endpoint name only its own clients
// (so it answers only the requests they received: the engine checks that a
// request is answered by the client it went to). Nothing of the engine (the token, the socket) crosses a port:
// only engine ops in, and what the engine says about that endpoint's
// clients out.
//
// MessagePorts transferred with postMessage are handled here too, where the
// engine is: a port that goes to a peer of this renderer is handed over as
// it is (a real transfer); a port the hub relays to another connection is
// bridged: its messages are msgpack-encoded into the engine and decoded out
// of it.
//
// Port protocol (both directions over the endpoint's MessagePort):
//   shim -> host   [op, ...]: engine ops of ipcbus-client.js, plus
//                  {op: 'pong'}, {op: 'bye'} (the document goes away) and
//                  {op: 'grantFrame', seq, token} (page only)
//   host -> shim   [msg, ...]: what the engine delivers for that endpoint;
//                  {ctl: 'ready'} or {ctl: 'ready', error} once, first;
//                  {ctl: 'ping'} (liveness, see below)
//
// A frame's endpoint ends when its iframe leaves the document (a
// MutationObserver), when its document goes away (the shim's 'bye' on
// pagehide), when its port closes (MessagePort's close event, where
// Chromium has it: --enable-blink-features=MessagePortCloseEvent, or
// Electron's webPreferences.enableBlinkFeatures), and, without that event,
// when it misses pingLimit pings in a row (a crashed or hung frame).
//
// An ES module; the build (build.mjs) bundles it.
import * as codec from './codec.js';

const GRANT_ATTR = 'data-ipcbus-grant';
const MAX_WAITING_HELLOS = 4; // per frame, until it is granted
const MAX_HELD_HELLOS = 64; // of the page and frames, until the host is configured
const MAX_GRANT_TOKENS = 256; // grants of iframes not yet in the document

// The engine ops a session may run; the port ops are the host's own.
const SESSION_OPS = new Set(['connect', 'close', 'listen', 'unlisten', 'send', 'request', 'resolve', 'reject', 'postMessage']);

const portClass = typeof MessagePort !== 'undefined' ? MessagePort : null;
const hasCloseEvent = !!portClass && 'onclose' in portClass.prototype;

function isPort(p) { return !!portClass && p instanceof portClass; }

function failure(code, message) { return { code, message: `ipcbus: ${message}` }; }

// transferables lists what a batch can hand over instead of copying: the
// ports it carries and the buffers the engine made for it.
function transferables(batch) {
  const list = [];
  for (const m of batch) {
    if (m.ports) for (const p of m.ports) if (isPort(p)) list.push(p);
    const a = m.args;
    if (a instanceof Uint8Array && a.byteOffset === 0 && a.byteLength === a.buffer.byteLength) list.push(a.buffer);
  }
  return list;
}

class Endpoint {
  constructor(host, kind, process, name) {
    this.host = host;
    this.kind = kind; // 'local', 'page' or 'frame'
    this.process = process;
    this.name = name;
    this.ids = new Map(); // the session's client id -> the engine's
    this.closed = false;
    this.out = [];
    this.port = null;
    this.element = null; // a frame's iframe
    this.missed = 0; // pings unanswered
    this.onBatch = (/** @type {any[]} */ _batch) => {};
  }

  deliver(m) {
    if (!this.closed) this.out.push(m);
  }

  flush() {
    if (this.out.length === 0) return;
    const batch = this.out;
    this.out = [];
    if (!this.port) {
      this.onBatch(batch);
      return;
    }
    try {
      this.port.postMessage(batch, transferables(batch));
    } catch (err) {
      console.error('ipcbus: delivering to a port:', err);
    }
  }
}

class Host {
  // engine is a direct link to client.wasm: {ready, post(msg), start(fn)}.
  // options: {process, name, frameOrigins: [origin], closeEvent (false:
  // ignore MessagePort's close event), pingMillis, pingLimit}.
  constructor(engine, options) {
    this.engine = engine;
    this.process = { ...(options.process || {}) };
    this.name = options.name || '';
    this.frameOrigins = (options.frameOrigins || []).map((o) => String(o).toLowerCase());
    this.closeEvent = hasCloseEvent && options.closeEvent !== false;
    this.pingMillis = options.pingMillis > 0 ? options.pingMillis : 1000;
    this.pingLimit = options.pingLimit > 0 ? options.pingLimit : 5;
    this.clients = new Map(); // engine client id -> {ep, id}
    this.seqs = new Map(); // engine seq -> {ep, seq}
    this.ports = new Map(); // port handle -> {port, owner, bridged}
    this.endpoints = new Set();
    this.frames = new WeakMap(); // iframe element -> {id, granted, hellos}
    this.tokens = new Set(); // grants of iframes not in the document yet
    this.nextClient = 0;
    this.nextSeq = 0;
    this.nextPort = 0;
    this.nextFrame = 0;
    this.observer = null;
    this.pinger = null;
    this.held = null; // hellos kept until configure (hold)
    this.ready = Promise.resolve(engine.ready);
    this.failed = null;
    this.ready.catch((err) => { this.failed = err; });
    engine.start((batch) => this.fromEngine(batch));
  }

  // configure sets what the constructor's options set, for a host made
  // before its configuration came (the preload asks Electron's main
  // process for it): the hellos held until then (hold) are answered now.
  configure(options) {
    for (const k of Object.keys(this.process)) delete this.process[k];
    Object.assign(this.process, options.process || {});
    const oldName = this.name;
    this.name = options.name || '';
    for (const ep of this.endpoints) {
      if (ep.kind === 'local' && ep.name === oldName) ep.name = this.name;
    }
    this.frameOrigins = (options.frameOrigins || []).map((o) => String(o).toLowerCase());
    this.closeEvent = hasCloseEvent && options.closeEvent !== false;
    this.pingMillis = options.pingMillis > 0 ? options.pingMillis : 1000;
    const held = this.held || [];
    this.held = null;
    for (const e of held) this.onHello(e);
  }

  // hold keeps the hellos of the page and frames until configure.
  hold() {
    if (!this.held) this.held = [];
  }

  // localLink is a direct link for a session in the preload's own world.
  localLink(process, name) {
    const ep = new Endpoint(this, 'local', process || this.process, name || this.name);
    this.endpoints.add(ep);
    return {
      ready: this.ready,
      start: (fn) => { ep.onBatch = fn; },
      post: (msg) => {
        const r = this.op(ep, msg);
        ep.flush();
        return r;
      },
    };
  }

  // --- sessions -> engine ---

  op(ep, m) {
    if (ep.closed) return failure('closed', 'this endpoint is closed');
    if (!m || typeof m !== 'object') return failure('bad-call', 'an op must be an object');
    switch (m.op) {
      case 'pong':
        ep.missed = 0;
        return undefined;
      case 'bye':
        this.drop(ep);
        return undefined;
      case 'grantFrame':
        return this.answer(ep, m, ep.kind === 'page' ? this.grantByToken(m.token) : failure('bad-call', 'only the page grants frames'));
    }
    if (!SESSION_OPS.has(m.op)) return this.answer(ep, m, failure('bad-call', `unknown op ${m.op}`));
    const out = { ...m };
    if (m.client !== undefined) {
      let id = ep.ids.get(m.client);
      if (id === undefined && m.op === 'connect') {
        id = ++this.nextClient;
        ep.ids.set(m.client, id);
        this.clients.set(id, { ep, id: m.client });
      }
      out.client = id === undefined ? 0 : id;
    }
    switch (m.op) {
      case 'connect':
        out.process = { ...ep.process };
        if (!out.name) out.name = ep.name;
        break;
      case 'postMessage':
        return this.postMessage(ep, m, out);
    }
    if (m.seq !== undefined) {
      out.seq = ++this.nextSeq;
      this.seqs.set(out.seq, { ep, seq: m.seq });
    }
    const r = this.engine.post(out);
    if (r) {
      if (out.seq !== undefined) this.seqs.delete(out.seq);
      return this.answer(ep, m, r);
    }
    return undefined;
  }

  // answer returns an op's result to its endpoint: as the value of post
  // for the preload's own session, else as a reply (with a seq) or an
  // error message.
  answer(ep, m, r) {
    if (ep.kind === 'local') return r;
    if (m.seq !== undefined) {
      const reply = { op: 'reply', seq: m.seq };
      if (r) reply.error = r;
      ep.deliver(reply);
    } else if (r) {
      ep.deliver({ op: 'error', error: r });
    }
    ep.flush();
    return undefined;
  }

  // postMessage names each MessagePort by a handle for the engine; the
  // engine says which ones the hub relays (portRelayed) and hands the
  // others to a peer of this renderer.
  postMessage(ep, m, out) {
    const ports = Array.isArray(m.ports) ? m.ports : [];
    if (!ports.every(isPort)) {
      for (const p of ports) if (isPort(p)) p.close();
      return this.answer(ep, m, failure('bad-call', 'postMessage: ports must be MessagePorts'));
    }
    out.ports = ports.map((port) => {
      const h = ++this.nextPort;
      this.ports.set(h, { port, owner: ep, bridged: false });
      return h;
    });
    delete out.seq;
    const r = this.engine.post(out);
    if (r) {
      for (const h of out.ports) {
        const b = this.ports.get(h);
        this.ports.delete(h);
        if (b) b.port.close();
      }
    }
    return this.answer(ep, m, r);
  }

  // --- engine -> sessions ---

  fromEngine(batch) {
    const touched = new Set();
    for (const m of batch) {
      try {
        const ep = this.route(m);
        if (ep) touched.add(ep);
      } catch (err) {
        console.error('ipcbus:', err);
      }
    }
    for (const ep of touched) ep.flush();
  }

  route(m) {
    switch (m.op) {
      case 'reply': {
        const s = this.seqs.get(m.seq);
        if (!s) return null;
        this.seqs.delete(m.seq);
        m.seq = s.seq;
        s.ep.deliver(m);
        return s.ep;
      }
      case 'event': {
        const c = this.clients.get(m.client);
        if (!c || c.ep.closed) {
          if (m.ports) this.refusePorts(m.ports);
          return null;
        }
        if (m.ports) m.ports = this.eventPorts(m.ports, c.ep);
        m.client = c.id;
        c.ep.deliver(m);
        return c.ep;
      }
      case 'closed':
      case 'status': {
        const c = this.clients.get(m.client);
        if (!c) return null;
        m.client = c.id;
        c.ep.deliver(m);
        return c.ep;
      }
      case 'error':
        console.warn('ipcbus:', m.error && m.error.message);
        return null;
      case 'portRelayed': {
        const b = this.ports.get(m.port);
        if (b) this.bridge(m.port, b.port, b.owner);
        return null;
      }
      case 'portMessage': {
        const b = this.ports.get(m.port);
        if (b) b.port.postMessage(codec.decode(m.data));
        return null;
      }
      case 'portClosed': {
        const b = this.ports.get(m.port);
        this.ports.delete(m.port);
        if (b) b.port.close();
        return null;
      }
    }
    return null;
  }

  // eventPorts turns the engine's port descriptions into MessagePorts: the
  // sender's own port for a local transfer, a bridged one for a relay.
  eventPorts(descs, owner) {
    const out = [];
    for (const d of descs) {
      if (d.local !== undefined) {
        const b = this.ports.get(d.local);
        this.ports.delete(d.local);
        if (b) out.push(b.port);
      } else if (d.relay !== undefined) {
        const ch = new MessageChannel();
        this.bridge(d.relay, ch.port1, owner);
        out.push(ch.port2);
      }
    }
    return out;
  }

  // refusePorts closes the ports of an event nobody takes.
  refusePorts(descs) {
    for (const d of descs) {
      if (d.local !== undefined) {
        const b = this.ports.get(d.local);
        this.ports.delete(d.local);
        if (b) b.port.close();
      } else if (d.relay !== undefined) {
        this.engine.post({ op: 'portClose', port: d.relay });
      }
    }
  }

  // bridge carries port's traffic through the engine's relayed port h.
  bridge(h, port, owner) {
    const b = { port, owner, bridged: true };
    this.ports.set(h, b);
    port.onmessage = (e) => {
      if (this.ports.get(h) !== b) return;
      for (const p of e.ports) p.close();
      if (e.ports.length) console.warn('ipcbus: ports cannot be transferred over a relayed port; closed them');
      let data;
      try {
        data = codec.encode(e.data, 'message');
      } catch (err) {
        console.error('ipcbus: a message on a relayed port was dropped:', err.message);
        return;
      }
      const r = this.engine.post({ op: 'portPost', port: h, data });
      if (r) {
        console.error(`ipcbus: relayed port closed: ${r.message}`);
        this.closeBridge(h);
      }
    };
    if (this.closeEvent) port.addEventListener('close', () => this.closeBridge(h));
  }

  // closeBridge closes the relayed port h on both sides.
  closeBridge(h) {
    const b = this.ports.get(h);
    if (!b) return;
    this.ports.delete(h);
    if (b.bridged) this.engine.post({ op: 'portClose', port: h });
    b.port.close();
  }

  // --- the page and the frames ---

  // listen answers the shims of this window (the page, when the preload
  // runs in an isolated world) and of its child frames.
  listen(win) {
    this.window = win;
    win.addEventListener('message', (e) => {
      const d = e.data;
      if (!d || typeof d !== 'object' || d.ipcbus !== 'hello' || typeof d.nonce !== 'string') return;
      const hello = { source: e.source, origin: e.origin, role: d.role, nonce: d.nonce };
      if (this.held) {
        if (this.held.length < MAX_HELD_HELLOS) this.held.push(hello);
        return;
      }
      this.onHello(hello);
    });
  }

  onHello(h) {
    if (h.source === this.window) {
      if (h.role === 'page') this.servePage(h.nonce);
      return;
    }
    this.frameHello(h.source, h.origin, h.nonce);
  }

  servePage(nonce) {
    const ch = new MessageChannel();
    this.servePort(ch.port1, 'page', { ...this.process }, null);
    this.window.postMessage({ ipcbus: 'port', nonce }, '*', [ch.port2]);
  }

  // frameElement finds the iframe of this document whose window is win.
  frameElement(win) {
    const doc = this.window.document;
    for (const el of doc.querySelectorAll('iframe, frame')) {
      if (el.contentWindow === win) return el;
    }
    return null;
  }

  frameRecord(el) {
    let rec = this.frames.get(el);
    if (!rec) {
      rec = { id: ++this.nextFrame, granted: false, hellos: [] };
      this.frames.set(el, rec);
    }
    return rec;
  }

  originAllowed(origin) {
    const o = String(origin).toLowerCase();
    return this.frameOrigins.includes(o) || this.frameOrigins.includes('*');
  }

  frameHello(source, origin, nonce) {
    let parent;
    try {
      parent = source && source.parent;
    } catch {
      return;
    }
    if (parent !== this.window) return; // only this document's own frames
    const el = this.frameElement(source);
    if (!el) return;
    const rec = this.frameRecord(el);
    const token = el.getAttribute(GRANT_ATTR);
    if (token && this.tokens.has(token)) {
      this.tokens.delete(token);
      el.removeAttribute(GRANT_ATTR);
      rec.granted = true;
    }
    const hello = { source, origin, nonce };
    if (rec.granted || this.originAllowed(origin)) {
      this.serveFrame(el, rec, hello);
      return;
    }
    if (rec.hellos.length >= MAX_WAITING_HELLOS) rec.hellos.shift();
    rec.hellos.push(hello);
  }

  serveFrame(el, rec, hello) {
    const ch = new MessageChannel();
    const process = { ...this.process, type: 'renderer-frame', frameid: rec.id, isMainFrame: false };
    this.servePort(ch.port1, 'frame', process, el);
    hello.source.postMessage({ ipcbus: 'port', nonce: hello.nonce, frameid: rec.id },
      hello.origin === 'null' ? '*' : hello.origin, [ch.port2]);
  }

  // grant lets el's documents have a port: now for a frame that asked
  // already, later for the next ones.
  grant(el) {
    if (!el || (el.tagName !== 'IFRAME' && el.tagName !== 'FRAME')) {
      throw new TypeError('ipcbus: grantFrame takes an iframe element');
    }
    const rec = this.frameRecord(el);
    rec.granted = true;
    const hellos = rec.hellos;
    rec.hellos = [];
    for (const h of hellos) {
      if (h.source === el.contentWindow) this.serveFrame(el, rec, h);
    }
  }

  // grantByToken grants the iframe the page marked with a one-time token
  // (elements cannot cross worlds; the DOM is shared). An iframe not in
  // the document yet is granted when its frame first asks.
  grantByToken(token) {
    if (typeof token !== 'string' || !/^[0-9a-f]{16,64}$/.test(token)) return failure('bad-call', 'grantFrame: bad token');
    const el = this.window.document.querySelector(`[${GRANT_ATTR}="${token}"]`);
    if (!el) {
      if (this.tokens.size >= MAX_GRANT_TOKENS) this.tokens.delete(this.tokens.values().next().value);
      this.tokens.add(token);
      return undefined;
    }
    el.removeAttribute(GRANT_ATTR);
    try {
      this.grant(el);
    } catch (err) {
      return failure('bad-call', err.message);
    }
    return undefined;
  }

  // servePort makes an endpoint of port, once the engine runs.
  servePort(port, kind, process, el) {
    const ep = new Endpoint(this, kind, process, this.name);
    ep.port = port;
    ep.element = el;
    this.endpoints.add(ep);
    this.ready.then(() => {
      if (ep.closed) return;
      port.onmessage = (e) => {
        if (!Array.isArray(e.data)) return;
        for (const m of e.data) {
          if (ep.closed) break;
          this.op(ep, m);
        }
        ep.flush();
      };
      if (this.closeEvent) port.addEventListener('close', () => this.drop(ep));
      port.postMessage({ ctl: 'ready' });
      if (kind === 'frame') this.watch();
    }, (err) => {
      port.postMessage({ ctl: 'ready', error: failure('not-ready', `client.wasm did not start: ${err && err.message}`) });
      this.drop(ep);
    });
    return ep;
  }

  // drop ends an endpoint: its clients leave the bus (requests pending on
  // them fail at once), its replies are forgotten.
  drop(ep) {
    if (ep.closed) return;
    ep.closed = true;
    ep.out = [];
    this.endpoints.delete(ep);
    for (const id of ep.ids.values()) {
      this.clients.delete(id);
      this.engine.post({ op: 'close', client: id });
    }
    for (const [seq, s] of this.seqs) if (s.ep === ep) this.seqs.delete(seq);
    if (!this.closeEvent) {
      // No close event tells the far side of the ports it held: close them.
      for (const [h, b] of this.ports) if (b.owner === ep) this.closeBridge(h);
    }
    if (ep.port) ep.port.close();
    this.watch();
  }

  // watch keeps the frame watchers running while there are frames: the
  // observer of removed iframes, and the pings without a close event.
  watch() {
    const frames = [...this.endpoints].filter((ep) => ep.kind === 'frame');
    if (frames.length === 0) {
      if (this.observer) this.observer.disconnect();
      this.observer = null;
      clearInterval(this.pinger);
      this.pinger = null;
      return;
    }
    if (!this.observer && typeof MutationObserver !== 'undefined') {
      this.observer = new MutationObserver(() => this.sweep());
      this.observer.observe(this.window.document, { childList: true, subtree: true });
    }
    if (!this.closeEvent && !this.pinger) {
      this.pinger = setInterval(() => this.ping(), this.pingMillis);
    }
  }

  // sweep drops the frames whose iframe left the document.
  sweep() {
    for (const ep of [...this.endpoints]) {
      if (ep.kind === 'frame' && ep.element && !ep.element.isConnected) this.drop(ep);
    }
  }

  ping() {
    for (const ep of [...this.endpoints]) {
      if (ep.kind !== 'frame') continue;
      if (ep.missed >= this.pingLimit) {
        this.drop(ep);
        continue;
      }
      ep.missed++;
      ep.port.postMessage({ ctl: 'ping' });
    }
  }
}

export { Host, GRANT_ATTR, hasCloseEvent };
