// src/node/link.js: the Node process's link for src/client.js. Each hub
// address gets an engine of its own (one connection, shared by the clients
// that connect there with the same reconnect options); client.wasm runs
// once for all of them. Ops go to the
// engine of their client, chosen when it connects; until that engine runs,
// they wait in order.
import WebSocket from 'ws';
import { startEngine } from '../engine.js';
import * as codec from '../codec.js';
import { loadWasm } from './wasm.js';
import { streamOpen } from './stream.js';
import { parseConnectArgs, resolveAddress } from './address.js';

// NodeWebSocket is the ws package's WebSocket with its 'error' event
// handled: a refused upgrade (no token: 403) or a refused port emits
// 'error', which an EventEmitter throws when nobody listens (a browser's
// WebSocket does not), taking the process down. The 'close' that follows
// ends the connection for the engine, as in a browser.
// The status of a refused upgrade is kept as refusedStatus: the engine
// does not redial after a 401 or 403 (a bad token stays bad), which a
// browser's WebSocket cannot tell from a hub that is down.
class NodeWebSocket extends WebSocket {
  constructor(url, protocols) {
    super(url, protocols);
    /** @type {number | undefined} */
    this.refusedStatus = undefined;
    /** @type {any} */ (this).on('error', (/** @type {Error} */ err) => {
      const m = /Unexpected server response: (\d+)/.exec(String(err && err.message));
      if (m) this.refusedStatus = Number(m[1]);
    });
  }
}

// copyBinary copies the binary values of the engine's records (the args
// of an event, decoded at once by src/client.js) into Node's Buffer pool:
// a fresh ArrayBuffer of its own (Uint8Array.slice) costs V8 several
// times more for small ones. A plain Uint8Array over it, not the Buffer:
// binary values reach listeners as Uint8Array, as everywhere else.
function copyBinary(/** @type {Uint8Array} */ view) {
  const b = Buffer.allocUnsafe(view.length);
  b.set(view);
  return new Uint8Array(b.buffer, b.byteOffset, b.length);
}

// processIdentity: Electron's main process says process.type 'browser'.
export function processIdentity() {
  const type = /** @type {any} */ (process).type === 'browser' ? 'main' : 'node';
  return { type, pid: process.pid };
}

export function nodeLink() {
  let onBatch = (/** @type {any[]} */ _batch) => {};
  const deliver = (/** @type {any[]} */ batch) => onBatch(batch);
  /** @type {Map<string, {link: any, queue: any[] | null, error: any}>} */
  const engines = new Map();
  /** @type {Map<number, {link: any, queue: any[] | null, error: any}>} */
  const byClient = new Map();

  const replyError = (m, error) => {
    if (m.seq !== undefined) deliver([{ op: 'reply', seq: m.seq, error }]);
  };

  function engineFor(addr, reconnect) {
    const key = `${addr.url}\n${addr.token}\n${JSON.stringify(reconnect || {})}`;
    let e = engines.get(key);
    if (e) return e;
    const link = startEngine(loadWasm(), { url: addr.url, token: addr.token, process: processIdentity() },
      { WebSocket: NodeWebSocket, streamOpen, copyBinary });
    link.start(deliver);
    const entry = { link, queue: /** @type {any[] | null} */ ([]), error: null };
    engines.set(key, entry);
    link.ready.then(() => {
      const q = entry.queue || [];
      entry.queue = null;
      for (const m of q) {
        const r = link.post(m);
        if (r) replyError(m, r);
      }
    }, (err) => {
      engines.delete(key);
      entry.error = { code: 'not-ready', message: `ipcbus: client.wasm: ${err && err.message}` };
      const q = entry.queue || [];
      entry.queue = null;
      for (const m of q) replyError(m, entry.error);
    });
    return entry;
  }

  function postTo(e, m) {
    if (e.queue) {
      e.queue.push(codec.ownArgs(m)); // posted once the engine runs
      return undefined;
    }
    if (e.error) return e.error;
    return e.link.post(m);
  }

  return {
    ready: undefined,
    start(fn) { onBatch = fn; },
    // connectOptions reads connect's arguments (address.js).
    connectOptions(args) {
      const { address, options } = parseConnectArgs(args);
      return { ...options, address: resolveAddress(address, options) };
    },
    post(m) {
      if (m.op === 'connect') {
        const { address, ...op } = m;
        const e = engineFor(address || resolveAddress('', {}), m.reconnect);
        byClient.set(m.client, e);
        return postTo(e, op);
      }
      const e = byClient.get(m.client);
      if (!e) return { code: 'not-connected', message: 'ipcbus: not connected (connect first)' };
      return postTo(e, m);
    },
  };
}
