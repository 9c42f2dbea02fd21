// src/client.js: the electron-common-ipc JavaScript API over the ipcbus
// engine protocol.
//
// The engine (client.wasm) takes plain objects, {op, ...}, and answers with
// batches of plain objects; payloads cross as msgpack bytes (ipcbus-codec.js).
// This file holds everything else: EventEmitter names and semantics over
// listener ids, Promise plumbing, timeouts, targets. It never touches the
// wasm directly: it talks to a link,
//
//   link.ready            a Promise, resolved once the engine takes ops
//   link.post(msg)        runs an op; returns undefined or {code, message}
//                         when the op failed at once (a direct link), or
//                         undefined (a link that cannot answer at once)
//   link.start(onBatch)   onBatch([msg, ...]) receives what the engine sends
//   link.readyTimeout     optional: true when link.ready may never come (a
//                         frame nobody granted); connect then bounds the
//                         wait by its timeoutDelay
//
// so the same API works in a preload (a direct link to the wasm) and in a
// page or frame that reaches the preload over a MessagePort (ipcbus-page.js).
//
// An ES module; the build (build.mjs) bundles it.
import * as codec from './codec.js';
import { codedError } from './errors.js';
import { Registry, checkListener } from './emitter.js';
import { spy } from './spy.js';

// LARGE_BINARY: from this size a binary argument is sent from where it is
// (engine.js's writeArgs), not encoded into a copy first.
const LARGE_BINARY = 64 * 1024;

/** @param {any} v */
const isLargeBinary = (v) => v instanceof Uint8Array && v.length >= LARGE_BINARY;

// viewMost makes the binary values of an event's args that are at least
// half of them reach listeners as views of the args (the client's own copy
// of them, out of the engine's memory) rather than copies of their own; a
// smaller one is copied, so that a small value kept does not hold a much
// larger message.
/** @param {number} whole */
function viewMost(whole) {
  return (/** @type {Uint8Array} */ s) => (2 * s.length >= whole ? s : s.slice());
}

const IPCBUS_CHANNEL_QUERY_STATE = '/electron-common-ipc/queryState';
const IPCBUS_CHANNEL_SERVICE_AVAILABLE = '/electron-common-ipc/serviceAvailable';
const DEFAULT_TIMEOUT = 2000; // electron-common-ipc's IPC_BUS_TIMEOUT
const FRAME_OVERHEAD = 1024; // a frame's header, beside channel and args

// timeoutFor maps electron-common-ipc's timeoutDelay to the engine's:
// 0, undefined or null is the default; below zero is forever (-1).
function timeoutFor(delay) {
  if (delay === undefined || delay === null || delay === 0) return DEFAULT_TIMEOUT;
  const n = Number(delay);
  if (Number.isNaN(n)) return DEFAULT_TIMEOUT;
  return n < 0 ? -1 : n;
}

// targetFor turns a peer, {process}, or a process into an engine target.
function targetFor(target) {
  if (!target || typeof target !== 'object') {
    throw new TypeError('ipcbus: the target must be a peer or a process');
  }
  if (typeof target.id === 'number') return { peer: target.id };
  if (target.process && typeof target.process === 'object') return { process: { ...target.process } };
  return { process: { ...target } };
}

let tracing = false;

// ActivateIpcBusTrace(on) logs one line per message in and out of every
// client (console.log), or stops.
function ActivateIpcBusTrace(on) { tracing = !!on; }

function trace(client, dir, what, channel, extra) {
  const p = client._peer;
  console.log(`ipcbus: ${dir} ${what} "${channel}" ${p.name || ''}#${p.id === undefined ? '-' : p.id}${extra || ''}`);
}

// withType gives a peer electron-common-ipc's peer.type: its process type.
function withType(peer) {
  if (peer && typeof peer === 'object' && peer.type === undefined) peer.type = peer.process ? peer.process.type : undefined;
  return peer;
}

// IpcBusRequestError is what a request rejects with: electron-common-ipc's
// {event, err} (err: the responder's message, 'timeout', or what went
// wrong), on an Error, with a code.
class IpcBusRequestError extends Error {
  constructor(channel, sender, err, code) {
    super(String(err));
    this.name = 'IpcBusRequestError';
    this.event = { channel, sender };
    this.err = err;
    this.code = code;
  }
}

function engineError(e) {
  const err = codedError(e.message, e.code);
  if (e.closeCode !== undefined) /** @type {any} */ (err).closeCode = e.closeCode;
  return err;
}

// The reconnect options of connect, as Go's bus.Options names them: ms
// and bytes; each absent one is the engine's default.
const RECONNECT_NUMBERS = ['reconnectWait', 'maxReconnectWait', 'reconnectJitter', 'maxReconnects', 'reconnectBufBytes'];

// reconnectOptions checks the reconnect options of connect and returns
// those given, for the engine, or undefined when none are.
function reconnectOptions(options) {
  let out;
  if (options.reconnect !== undefined && options.reconnect !== null) {
    if (typeof options.reconnect !== 'boolean') {
      throw new TypeError(`ipcbus: connect: reconnect must be a boolean, got ${typeof options.reconnect}`);
    }
    out = { reconnect: options.reconnect };
  }
  for (const k of RECONNECT_NUMBERS) {
    const v = options[k];
    if (v === undefined || v === null) continue;
    const ok = typeof v === 'number' && !Number.isNaN(v) && (k === 'maxReconnects' || (v >= 0 && Number.isFinite(v)));
    if (!ok) throw new TypeError(`ipcbus: connect: ${k} must be a number${k === 'maxReconnects' ? '' : ' of 0 or more'}, got ${String(v)}`);
    out = out || {};
    out[k] = v === Infinity ? -1 : v;
  }
  return out;
}

function report(err) {
  queueMicrotask(() => { throw err; });
}

const portClass = typeof MessagePort !== 'undefined' ? MessagePort : null;
function isPort(v) { return !!portClass && v instanceof portClass; }

// whenReady waits for the link, at most ms when the link may never be
// ready (ms < 0: forever).
function whenReady(session, ms) {
  if (!session.link.readyTimeout || ms < 0) return session.ready;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(codedError(`ipcbus: no port within ${ms} ms: ${session.link.notReadyReason || 'the link is not ready'}`, 'not-granted'));
    }, ms);
    session.ready.then((v) => { clearTimeout(timer); resolve(v); }, (e) => { clearTimeout(timer); reject(e); });
  });
}

// Session: the clients of one link, the replies they wait for.
class Session {
  constructor(link) {
    this.link = link;
    this.ready = Promise.resolve(link.ready);
    this.seq = 0;
    this.waiting = new Map();
    this.clients = new Map();
    this.nextClient = 0;
    link.start((batch) => { for (const m of batch) this.dispatch(m); });
  }

  dispatch(m) {
    try {
      switch (m.op) {
        case 'reply': {
          const done = this.waiting.get(m.seq);
          this.waiting.delete(m.seq);
          if (done) done(m);
          break;
        }
        case 'event': {
          const c = this.clients.get(m.client);
          if (c) c._event(m);
          break;
        }
        case 'closed': {
          const c = this.clients.get(m.client);
          if (c) c._ended(m.error);
          break;
        }
        case 'status': {
          const c = this.clients.get(m.client);
          if (c) c._statusRecord(m);
          break;
        }
        case 'error':
          console.warn('ipcbus:', m.error && m.error.message);
          break;
      }
    } catch (err) {
      report(err);
    }
  }

  // call posts an op that answers with a reply and returns its Promise.
  call(msg) {
    return new Promise((resolve) => {
      msg.seq = ++this.seq;
      this.waiting.set(msg.seq, resolve);
      const r = this.link.post(msg);
      if (r) { // refused at once: no reply will come
        this.waiting.delete(msg.seq);
        resolve({ op: 'reply', seq: msg.seq, error: r });
      }
    });
  }

  post(msg) { return this.link.post(msg); }
}

class IpcBusClient {
  constructor(session, options) {
    this._session = session;
    this._id = ++session.nextClient;
    session.clients.set(this._id, this);
    this._options = options || {};
    this._peer = { id: undefined, name: this._options.peerName || '', process: { ...(this._options.process || {}) } };
    // The listeners, by channel: the engine hears only of a channel's
    // first and last one (it subscribes and unsubscribes).
    this._listeners = new Registry((channel) => this._tell('listen', channel), (channel) => this._tell('unlisten', channel));
    this._live = false; // the engine has this client (connecting or connected)
    this._connected = false;
    this._connecting = null;
    this._maxFrameBytes = 0;
    /** @type {import('../ipcbus.d.ts').IpcBusStatus} */
    this._status = 'idle';
    this._statusListeners = []; // [{fn}] in calling order
  }

  get peer() { return this._peer; }

  // status is 'idle' (never connected), 'connecting' (connect under way),
  // 'connected', 'disconnected' (the hub was lost; waiting before an
  // attempt), 'reconnecting' (an attempt under way) or 'closed' (closed,
  // ended for good, or connect failed).
  get status() { return this._status; }

  // onStatus(listener) calls listener({status, reason, attempt, peer}) at
  // each change of status, in order with the client's messages; it returns
  // the function that removes it. reason is an Error with a code for
  // 'disconnected' (why the hub was lost), 'reconnecting' (the previous
  // attempt's failure, or the loss) and 'closed' (why it ended; undefined
  // after close()); attempt counts the attempts of the outage (on
  // 'connected': the one that succeeded, 0 for connect itself).
  onStatus(listener) {
    checkListener(listener);
    const entry = { fn: listener };
    this._statusListeners.push(entry);
    return () => {
      const i = this._statusListeners.indexOf(entry);
      if (i >= 0) this._statusListeners.splice(i, 1);
    };
  }

  /**
   * @param {import('../ipcbus.d.ts').IpcBusStatus} status
   * @param {any} [reason]
   * @param {number} [attempt]
   */
  _setStatus(status, reason, attempt) {
    if (status === this._status) return;
    this._status = status;
    const ev = { status, reason, attempt: attempt || 0, peer: this._peer };
    if (tracing) trace(this, '--', 'status', status, reason ? ` (${reason.message})` : '');
    for (const e of this._statusListeners.slice()) {
      try {
        e.fn.call(this, ev);
      } catch (err) {
        report(err);
      }
    }
  }

  // _statusRecord: the engine's connection changed status (after the
  // first connect). On 'connected' the peer comes with its new id.
  _statusRecord(m) {
    if (!this._live) return;
    if (m.peer) this._peer = withType(m.peer);
    this._setStatus(m.status, m.error ? engineError(m.error) : undefined, m.attempt);
  }

  // connect(...) joins the bus. In a renderer the preload knows the hub:
  // connect([handle,] {peerName, timeoutDelay}); a link that reaches hubs
  // by address (Node) reads the arguments itself (link.connectOptions).
  connect(...args) {
    let options;
    try {
      options = this._session.link.connectOptions
        ? this._session.link.connectOptions(args)
        : ((args[0] && typeof args[0] === 'object') ? args[0] : (args[1] || {}));
    } catch (err) {
      return Promise.reject(err);
    }
    let reconnect;
    try {
      reconnect = reconnectOptions(options);
    } catch (err) {
      return Promise.reject(err);
    }
    if (this._connected) return Promise.resolve();
    if (this._connecting) return this._connecting;
    this._setStatus('connecting');
    this._connecting = whenReady(this._session, timeoutFor(options.timeoutDelay)).then(() => {
      const name = options.peerName || this._peer.name || '';
      this._live = true;
      const msg = {
        op: 'connect', client: this._id, name, process: this._options.process,
        timeout: timeoutFor(options.timeoutDelay), channels: this._listeners.names(),
      };
      if (reconnect) msg.reconnect = reconnect;
      if (options.address !== undefined) msg.address = options.address;
      return this._session.call(msg);
    }).then((m) => {
      this._connecting = null;
      if (m.error) {
        this._live = false;
        const err = engineError(m.error);
        this._setStatus('closed', err);
        throw err;
      }
      this._peer = withType(m.value.peer);
      this._maxFrameBytes = m.value.maxFrameBytes;
      this._connected = true;
      // An outage that began before this reply came has said so already.
      if (this._status === 'connecting') this._setStatus('connected');
    }, (err) => {
      this._connecting = null;
      this._live = false;
      this._setStatus('closed', err);
      throw err;
    });
    return this._connecting;
  }

  // close leaves the bus; pending requests fail with 'closed'.
  // close([{timeoutDelay}]) waits for the engine at most timeoutDelay ms
  // (0 or unset: 2000; below zero: no limit); the client has left the bus
  // either way.
  close(options) {
    const ms = timeoutFor(options && typeof options === 'object' ? options.timeoutDelay : undefined);
    const wait = this._connecting || Promise.resolve();
    return wait.catch(() => {}).then(() => {
      if (!this._live) return undefined;
      this._live = false;
      this._connected = false;
      this._setStatus('closed');
      const closing = this._session.call({ op: 'close', client: this._id }).then(() => undefined);
      if (ms < 0) return closing;
      let timer;
      const late = new Promise((resolve) => { timer = setTimeout(resolve, ms); });
      return Promise.race([closing, late]).then(() => clearTimeout(timer));
    });
  }

  _ended(error) {
    if (!this._live) return;
    this._live = false;
    this._connected = false;
    this._setStatus('closed', error ? engineError(error) : undefined);
  }

  // encodeArgs encodes each argument, checking the hub's frame limit. The
  // encodings are codec.encodeEach's views, for the op posted at once: a
  // large binary is left for the engine's glue to write where the message
  // goes (engine.js's writeArgs), not copied into an encoding first.
  _encodeArgs(channel, args) {
    for (let i = 0; i < args.length; i++) {
      if (isPort(args[i])) {
        throw new TypeError(`ipcbus: cannot send a MessagePort as args[${i}] on "${channel}": transfer ports with postMessage(channel, message, [ports])`);
      }
    }
    const out = codec.encodeEach(args, isLargeBinary);
    let size = FRAME_OVERHEAD + channel.length * 3;
    for (let i = 0; i < args.length; i++) {
      if (out[i] === null) out[i] = { bigBin: args[i], length: 5 + args[i].length };
      size += out[i].length;
    }
    if (this._maxFrameBytes && size > this._maxFrameBytes) {
      throw codedError(`ipcbus: message on "${channel}" too large: about ${size} bytes, the hub's limit is ${this._maxFrameBytes}`, 'frame-too-large', RangeError);
    }
    return out;
  }

  _send(to, channel, args) {
    if (!this._connected) return false;
    const msg = { op: 'send', client: this._id, channel, args: this._encodeArgs(channel, args) };
    if (tracing) trace(this, 'out', to ? 'sendTo' : 'send', channel);
    if (to) msg.to = to;
    const r = this._session.post(msg);
    if (r) throw engineError(r);
    return true;
  }

  send(channel, ...args) { return this._send(null, channel, args); }
  emit(channel, ...args) { return this._send(null, channel, args); }
  sendTo(target, channel, ...args) { return this._send(targetFor(target), channel, args); }

  _request(to, channel, timeoutDelay, args) {
    const fail = (err, code, sender) => Promise.reject(new IpcBusRequestError(channel, sender ? withType(sender) : this._peer, err, code));
    if (!this._connected) return fail('not connected', 'not-connected');
    let encoded;
    try {
      encoded = this._encodeArgs(channel, args);
    } catch (e) {
      if (e.code === 'frame-too-large') return fail(e.message, e.code);
      throw e;
    }
    const msg = { op: 'request', client: this._id, channel, timeout: timeoutFor(timeoutDelay), args: encoded };
    if (tracing) trace(this, 'out', to ? 'requestTo' : 'request', channel);
    if (to) msg.to = to;
    return this._session.call(msg).then((m) => {
      if (m.error) {
        const e = m.error;
        if (e.code === 'rejected') return fail(e.message, e.code, e.sender);
        return fail(e.code === 'timeout' ? 'timeout' : e.message, e.code);
      }
      return { event: { channel, sender: withType(m.value.sender) }, payload: codec.decode(m.value.payload) };
    });
  }

  request(channel, timeoutDelay, ...args) { return this._request(null, channel, timeoutDelay, args); }
  requestTo(target, channel, timeoutDelay, ...args) {
    return this._request(targetFor(target), channel, timeoutDelay, args);
  }

  // --- MessagePorts ---

  // postMessage sends message on channel with ports transferred: the
  // listener that gets them (one peer: of this renderer when one listens,
  // else the first the hub finds) has them in event.ports; other
  // listeners get the message alone. Between peers of one renderer the
  // ports are handed over as they are; across connections the hub relays
  // them (their messages then cross as msgpack values, in order; closing
  // one end closes the other where MessagePort has a close event).
  // Returns false when not connected; throws when a port is not a
  // MessagePort, is listed twice, or the message cannot be sent.
  postMessage(channel, message, ports) { return this._postMessage(null, channel, message, ports); }
  postMessageTo(target, channel, message, ports) {
    return this._postMessage(targetFor(target), channel, message, ports);
  }

  _postMessage(to, channel, message, ports) {
    const list = ports === undefined || ports === null ? [] : Array.from(ports);
    list.forEach((p, i) => {
      if (!isPort(p)) throw new TypeError(`ipcbus: postMessage on "${channel}": ports[${i}] is not a MessagePort`);
    });
    if (new Set(list).size !== list.length) {
      throw new TypeError(`ipcbus: postMessage on "${channel}": a port is listed twice`);
    }
    if (!this._connected) return false;
    let [encoded] = this._encodeArgs(channel, [message]);
    if (!(encoded instanceof Uint8Array)) encoded = codec.encode(message, 'message'); // an op field, not args
    const msg = { op: 'postMessage', client: this._id, channel, message: encoded, ports: list };
    if (to) msg.to = to;
    const r = this._session.post(msg);
    if (r) throw engineError(r);
    return true;
  }

  // --- listeners: Node's EventEmitter (src/emitter.js) ---

  // _tell says to the engine that channel got its first listener
  // ('listen') or lost its last ('unlisten'); connect gives it the
  // channels listened to before.
  _tell(op, channel) {
    if (this._live) this._session.post({ op, client: this._id, channel });
  }

  on(channel, fn) { this._listeners.add(channel, fn, false, false); return this; }
  addListener(channel, fn) { this._listeners.add(channel, fn, false, false); return this; }
  once(channel, fn) { this._listeners.add(channel, fn, true, false); return this; }
  prependListener(channel, fn) { this._listeners.add(channel, fn, false, true); return this; }
  prependOnceListener(channel, fn) { this._listeners.add(channel, fn, true, true); return this; }
  removeListener(channel, fn) { this._listeners.remove(channel, fn); return this; }
  off(channel, fn) { this._listeners.remove(channel, fn); return this; }
  removeAllListeners(channel) { this._listeners.removeAll(channel); return this; }
  listenerCount(channel) { return this._listeners.count(channel); }
  listeners(channel) { return this._listeners.fns(channel); }
  rawListeners(channel) { return this._listeners.fns(channel); }
  eventNames() { return this._listeners.names(); }
  setMaxListeners(n) { this._listeners.max = n; return this; }
  getMaxListeners() { return this._listeners.max; }

  // spy(filter, listener[, timeoutDelay]) attaches this client as a spy of
  // the hub (src/spy.js); resolves with the function that stops it.
  spy(filter, listener, timeoutDelay) { return spy(this, filter, listener, timeoutDelay); }

  // _event runs one delivery on the listeners of its channel when it
  // began (one removed by an earlier listener still runs in it, as in
  // Node). A message on a channel with no listener left (the engine had
  // not heard of the last one's removal yet) reaches nobody.
  _event(m) {
    if (this._listeners.count(m.channel) === 0) {
      if (m.ports) for (const p of m.ports) p.close();
      return;
    }
    let args;
    try {
      args = codec.decode(m.args, viewMost(m.args.length));
      if (!Array.isArray(args)) throw new TypeError('ipcbus: the args are not an array');
    } catch (err) {
      // A payload this client cannot read is dropped alone and logged (it
      // came from another peer: no throw), a request is rejected, and the
      // rest of the batch is delivered.
      const what = `${m.req !== undefined ? 'request' : 'message'} on ${JSON.stringify(m.channel)} from ${m.sender && m.sender.name}#${m.sender && m.sender.id}`;
      console.error(`ipcbus: dropped a ${what}: ${err.message}`);
      if (m.req !== undefined) {
        try {
          this._requestHandle(m.req).reject(`the request could not be read: ${err.message}`);
        } catch { /* the requester is gone */ }
      }
      if (m.ports) for (const p of m.ports) p.close();
      return;
    }
    const event = { channel: m.channel, sender: withType(m.sender) };
    if (tracing) trace(this, 'in', m.req !== undefined ? 'request' : 'message', m.channel, ` from ${m.sender && m.sender.name}#${m.sender && m.sender.id}`);
    if (m.req !== undefined) event.request = this._requestHandle(m.req);
    if (m.ports) event.ports = m.ports;
    this._listeners.emit(this, m.channel, [event, ...args], report);
  }

  _requestHandle(req) {
    let settled = false;
    const post = (msg) => {
      if (settled) return;
      settled = true;
      const r = this._session.post(msg);
      if (r) throw engineError(r);
    };
    return {
      resolve: (payload) => {
        let value;
        try {
          value = codec.encode(payload, 'payload');
        } catch (err) {
          post({ op: 'reject', client: this._id, req, message: `the response could not be sent: ${err.message}` });
          throw err;
        }
        post({ op: 'resolve', client: this._id, req, value });
      },
      reject: (err) => {
        const message = err instanceof Error ? err.message : typeof err === 'string' ? err : String(err);
        post({ op: 'reject', client: this._id, req, message });
      },
    };
  }
}

// createSession returns the factory of clients over one link.
function createSession(link) {
  const session = new Session(link);
  return {
    ready: session.ready,
    createClient: (options) => new IpcBusClient(session, options),
    // call runs an op that answers with a reply (the page's grantFrame).
    call: (msg) => session.call(msg),
  };
}

export { createSession, timeoutFor, IpcBusRequestError, ActivateIpcBusTrace, IPCBUS_CHANNEL_QUERY_STATE, IPCBUS_CHANNEL_SERVICE_AVAILABLE };
