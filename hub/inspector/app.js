// The hub's inspector: a page that joins the bus over the WebSocket
// listener as one peer, attaches as a spy and polls the hub's state and
// services, speaking protocol v1 by hand (no client.wasm needed). Every
// name and value it shows comes from peers and goes in with textContent,
// never as HTML.
'use strict';

// ---- msgpack: what protocol frames and spy events use ----

const enc = new TextEncoder();
const dec = new TextDecoder();

function encode(v) {
  const out = [];
  const u8 = (...b) => out.push(...b);
  const be = (n, bytes) => { for (let i = bytes - 1; i >= 0; i--) out.push(Math.floor(n / 2 ** (8 * i)) & 0xff); };
  const walk = (v) => {
    if (v === null || v === undefined) return u8(0xc0);
    if (v === true) return u8(0xc3);
    if (v === false) return u8(0xc2);
    if (typeof v === 'number' && Number.isInteger(v) && v >= 0) {
      if (v < 0x80) return u8(v);
      if (v < 0x10000) { u8(0xcd); return be(v, 2); }
      if (v < 0x100000000) { u8(0xce); return be(v, 4); }
      u8(0xcf); return be(v, 8);
    }
    if (typeof v === 'number') {
      const b = new DataView(new ArrayBuffer(8));
      b.setFloat64(0, v);
      u8(0xcb);
      for (let i = 0; i < 8; i++) out.push(b.getUint8(i));
      return;
    }
    if (typeof v === 'string') {
      const s = enc.encode(v);
      if (s.length < 32) u8(0xa0 | s.length); else { u8(0xdb); be(s.length, 4); }
      for (const c of s) out.push(c);
      return;
    }
    if (Array.isArray(v)) {
      if (v.length < 16) u8(0x90 | v.length); else { u8(0xdd); be(v.length, 4); }
      v.forEach(walk);
      return;
    }
    const keys = Object.keys(v);
    if (keys.length < 16) u8(0x80 | keys.length); else { u8(0xdf); be(keys.length, 4); }
    for (const k of keys) { walk(k); walk(v[k]); }
  };
  walk(v);
  return new Uint8Array(out);
}

// decode returns [value, offset after it]; raw ranges are kept for the
// fields a frame forwards (sender, body).
function decode(b, off = 0) {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const uint = (n) => { let v = 0; for (let i = 0; i < n; i++) v = v * 256 + b[off + i]; off += n; return v; };
  const str = (n) => { const s = dec.decode(b.subarray(off, off + n)); off += n; return s; };
  const arr = (n) => { const a = []; for (let i = 0; i < n; i++) a.push(val()); return a; };
  const map = (n) => { const m = Object.create(null); for (let i = 0; i < n; i++) { const k = val(); m[String(k)] = val(); } return m; };
  const ext = (n) => {
    const type = dv.getInt8(off++);
    const d = b.subarray(off, off + n);
    off += n;
    if (type !== -1) return { ext: type, bytes: d };
    const x = new DataView(d.buffer, d.byteOffset, d.byteLength);
    if (n === 4) return new Date(x.getUint32(0) * 1000);
    if (n === 8) {
      const hi = x.getUint32(0), lo = x.getUint32(4);
      const ns = Math.floor(hi / 4);
      const sec = (hi % 4) * 2 ** 32 + lo;
      return new Date(sec * 1000 + ns / 1e6);
    }
    return new Date(Number(x.getBigInt64(4)) * 1000 + x.getUint32(0) / 1e6);
  };
  const val = () => {
    const c = b[off++];
    if (c === undefined) throw new Error('msgpack: truncated');
    if (c < 0x80) return c;
    if (c >= 0xe0) return c - 256;
    if ((c & 0xf0) === 0x80) return map(c & 0x0f);
    if ((c & 0xf0) === 0x90) return arr(c & 0x0f);
    if ((c & 0xe0) === 0xa0) return str(c & 0x1f);
    switch (c) {
      case 0xc0: return null;
      case 0xc2: return false;
      case 0xc3: return true;
      case 0xc4: case 0xc5: case 0xc6: { const n = uint(1 << (c - 0xc4)); const d = b.subarray(off, off + n); off += n; return d; }
      case 0xc7: case 0xc8: case 0xc9: return ext(uint(1 << (c - 0xc7)));
      case 0xca: { const v = dv.getFloat32(off); off += 4; return v; }
      case 0xcb: { const v = dv.getFloat64(off); off += 8; return v; }
      case 0xcc: case 0xcd: case 0xce: case 0xcf: return uint(1 << (c - 0xcc));
      case 0xd0: { const v = dv.getInt8(off); off += 1; return v; }
      case 0xd1: { const v = dv.getInt16(off); off += 2; return v; }
      case 0xd2: { const v = dv.getInt32(off); off += 4; return v; }
      case 0xd3: { const v = Number(dv.getBigInt64(off)); off += 8; return v; }
      case 0xd4: case 0xd5: case 0xd6: case 0xd7: case 0xd8: return ext(1 << (c - 0xd4));
      case 0xd9: case 0xda: case 0xdb: return str(uint(1 << (c - 0xd9)));
      case 0xdc: case 0xdd: return arr(uint(2 << (c - 0xdc)));
      case 0xde: case 0xdf: return map(uint(2 << (c - 0xde)));
    }
    throw new Error('msgpack: code 0x' + c.toString(16));
  };
  const v = val();
  return [v, off];
}

// ---- protocol v1 (shared/wire) ----

const K = { hello: 1, welcome: 2, peerAdd: 3, peerAdded: 4, subscribe: 6, send: 8, request: 9, response: 10, message: 12, ping: 13, pong: 14, close: 15 };
const SPY = '/electron-common-ipc/spy';
const QUERY_STATE = '/electron-common-ipc/queryState';
const QUERY_SERVICES = '/electron-common-ipc/queryServices';

function frame(kind, { channel = null, peer = 0, id = 0, body = null } = {}) {
  const head = encode([kind, channel, peer, null, id, 0, null, null]);
  const tail = encode(body);
  // The header was encoded as an 8-array: make it the 9-array of v1 with
  // the body last.
  const out = new Uint8Array(head.length + tail.length);
  out.set(head);
  out[0] = 0x99;
  out.set(tail, head.length);
  return out;
}

function parseFrame(b) {
  if (b[0] !== 0x99) throw new Error('not a v1 frame');
  let off = 1;
  const fields = [];
  for (let i = 0; i < 9; i++) {
    const [v, next] = decode(b, off);
    fields.push(v);
    off = next;
  }
  const [kind, channel, peer, , id, code, sender, , body] = fields;
  return { kind, channel, peer, id, code, sender, body };
}

// ---- the bus connection ----

const params = new URLSearchParams(location.search);
const token = params.get('token') || '';
const view = {};
let ws, myPeer = 0, nextID = 1;
const pending = new Map(); // request id → callback
let connected = false;

function connect() {
  ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws?token=${encodeURIComponent(token)}`, 'ipcbus.v1');
  ws.binaryType = 'arraybuffer';
  ws.onopen = () => ws.send(frame(K.hello, { body: { version: 1, token, process: { type: 'renderer', pid: 0 } } }));
  ws.onmessage = (m) => onFrame(parseFrame(new Uint8Array(m.data)));
  ws.onclose = (e) => {
    connected = false;
    status(`disconnected (${e.code}${e.reason ? ': ' + e.reason : ''}); retrying`, 'bad');
    setTimeout(connect, 2000);
  };
}

function request(channel, args, done) {
  const id = nextID++;
  pending.set(id, done);
  ws.send(frame(K.request, { channel, peer: myPeer, id, body: args }));
}

function onFrame(f) {
  switch (f.kind) {
    case K.welcome:
      ws.send(frame(K.peerAdd, { id: 1, body: { name: 'inspector', process: { type: 'renderer', pid: 0 } } }));
      break;
    case K.peerAdded:
      myPeer = f.peer;
      connected = true;
      status(`connected as peer ${myPeer}`, 'ok');
      ws.send(frame(K.subscribe, { channel: SPY, peer: myPeer }));
      attachSpy();
      poll();
      break;
    case K.message:
      if (f.channel === SPY && f.sender && f.sender.process && f.sender.process.type === 'hub' && Array.isArray(f.body)) onEvent(f.body[0]);
      break;
    case K.response: {
      const done = pending.get(f.id);
      pending.delete(f.id);
      if (done) done(f.code, f.body);
      break;
    }
    case K.ping:
      ws.send(frame(K.pong, { id: f.id }));
      break;
    case K.close:
      break;
  }
}

function filter() {
  const list = (s) => s.split(',').map((x) => x.trim()).filter(Boolean);
  return { channels: list(view.channels.value), peers: list(view.peers.value) };
}

function attachSpy() {
  request(SPY, [filter()], (code, body) => {
    view.filterError.textContent = code === 0 ? '' : `refused: ${body}`;
  });
}

// ---- what the page keeps ----

const TAIL = 200;
const tail = [];
const slowest = []; // the 10 slowest responses
const failed = []; // the last 20 failed responses
const drops = []; // the last 20 slow consumers and drops
// Channel rates come from the hub's own counters (state's messages and
// bytes per channel), the difference between two polls: every channel's,
// whatever the spy's filter lets through.
let rates = new Map(); // channel → {msgs, bytes} per second
let state = null, services = [];

function onEvent(ev) {
  if (!ev || typeof ev !== 'object') return;
  const mine = (p) => p && p.id === myPeer;
  if (mine(ev.from) || (ev.to || []).some(mine)) return; // the page's own polls
  tail.push(ev);
  if (tail.length > TAIL) tail.shift();
  if (ev.kind === 'response') {
    if (ev.status !== 'resolved') { failed.unshift(ev); failed.length = Math.min(failed.length, 20); }
    if (ev.latencyMs > 0) {
      slowest.push(ev);
      slowest.sort((a, b) => b.latencyMs - a.latencyMs);
      slowest.length = Math.min(slowest.length, 10);
    }
  }
  if (ev.kind === 'slow-consumer') { drops.unshift(ev); drops.length = Math.min(drops.length, 20); }
  dirty = true;
}

function poll() {
  if (!connected) return;
  request(QUERY_STATE, [], (code, body) => { if (code === 0) { setState(body); dirty = true; } });
  request(QUERY_SERVICES, [], (code, body) => { if (code === 0 && Array.isArray(body)) { services = body; dirty = true; } });
}
setInterval(poll, 1000);

// setState keeps the new state and the channels' rates since the last one.
let stateAt = 0;
function setState(next) {
  const now = performance.now();
  const dt = (now - stateAt) / 1000;
  const before = new Map(((state && state.channels) || []).map((c) => [c.channel, c]));
  rates = new Map();
  for (const c of next.channels || []) {
    const b = before.get(c.channel);
    if (b && dt > 0 && c.messages >= b.messages) {
      rates.set(c.channel, { msgs: Math.round((c.messages - b.messages) / dt), bytes: Math.round((c.bytes - b.bytes) / dt) });
    }
  }
  state = next;
  stateAt = now;
}

// ---- rendering (textContent only) ----

let dirty = false;

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = String(text);
  return e;
}

function peerLabel(p) {
  if (!p) return '?';
  const type = p.process && p.process.type ? p.process.type : '';
  return p.id ? `${p.name}#${p.id}(${type})` : `(${type})`;
}

function eventRow(ev) {
  const tr = el('tr', 'k-' + ev.kind + (ev.status ? ' s-' + ev.status : ''));
  const t = ev.time instanceof Date ? ev.time.toLocaleTimeString(undefined, { hour12: false }) + '.' + String(ev.time.getMilliseconds()).padStart(3, '0') : '';
  tr.append(el('td', 'time', t));
  tr.append(el('td', 'kind', ev.kind + (ev.request ? ' #' + ev.request : '')));
  const to = (ev.to || []).map(peerLabel).join(', ') || (ev.kind === 'send' || ev.kind === 'request' ? 'nobody' : '');
  tr.append(el('td', '', (ev.from ? peerLabel(ev.from) : '') + (to ? ' → ' + to : '')));
  tr.append(el('td', 'channel', ev.channel || ''));
  tr.append(el('td', '', [ev.status, ev.latencyMs ? ev.latencyMs.toFixed(2) + ' ms' : '', ev.reason].filter(Boolean).join(' ')));
  tr.append(el('td', 'num', ev.size ? ev.size + ' B' : ''));
  tr.append(el('td', 'preview', ev.preview || ''));
  return tr;
}

function fill(id, rows) {
  const tbody = document.getElementById(id);
  tbody.replaceChildren(...rows);
}

function render() {
  if (!dirty) return;
  dirty = false;
  if (state) {
    view.hub.textContent = state.hub ? '· ' + state.hub : '';
    const conns = state.connections || [];
    const tree = [];
    for (const c of conns) {
      const li = el('li', 'conn');
      const tr = c.traffic || {};
      li.append(el('span', 'conn-head', `connection ${c.id} · ${c.transport} · ${c.process && c.process.type} pid ${c.process && c.process.pid} · in ${tr.framesIn || 0} frames / ${tr.bytesIn || 0} B · out ${tr.framesOut || 0} frames / ${tr.bytesOut || 0} B`));
      const ul = el('ul');
      for (const p of c.peers || []) {
        const subs = p.subscriptions || [];
        ul.append(el('li', 'peer', `${peerLabel(p)}${p.spy ? ' · spy' : ''} · ${subs.length} subscription${subs.length === 1 ? '' : 's'}${subs.length ? ': ' + subs.slice(0, 8).join(', ') + (subs.length > 8 ? ', …' : '') : ''}`));
      }
      li.append(ul);
      tree.push(li);
    }
    document.getElementById('conns').replaceChildren(...tree);
    view.connCount.textContent = `${conns.length}`;
    const channels = (state.channels || []).map((c) => ({ ...c, rate: rates.get(c.channel) || { msgs: 0, bytes: 0 } }));
    const q = view.channelFilter.value.trim();
    const shown = channels.filter((c) => !q || c.channel.includes(q))
      .sort((a, b) => b.rate.msgs - a.rate.msgs || (a.channel < b.channel ? -1 : 1));
    const rows = shown.slice(0, 200).map((c) => {
      const tr = el('tr');
      tr.append(el('td', 'channel', c.channel), el('td', 'num', c.peers), el('td', 'num', c.rate.msgs), el('td', 'num', c.rate.bytes));
      return tr;
    });
    fill('channels', rows);
    view.channelCount.textContent = shown.length > 200 ? `200 of ${shown.length}` : `${shown.length}`;
  }
  fill('tail', tail.slice().reverse().map(eventRow));
  fill('slowest', slowest.map(eventRow));
  fill('failed', failed.map(eventRow));
  fill('drops', drops.map(eventRow));
  fill('services', services.map((s) => {
    const tr = el('tr');
    tr.append(el('td', '', s.name), el('td', '', s.peer ? peerLabel(s.peer) : ''), el('td', '', Array.isArray(s.callHandlers) ? s.callHandlers.join(', ') : ''));
    return tr;
  }));
}

function status(text, cls) {
  view.status.textContent = text;
  view.status.className = cls;
}

window.addEventListener('DOMContentLoaded', () => {
  for (const id of ['status', 'hub', 'channels-input', 'peers-input', 'filter-error', 'channel-filter', 'conn-count', 'channel-count']) {
    view[id.replace(/-(\w)/g, (_, c) => c.toUpperCase()).replace('Input', '')] = document.getElementById(id);
  }
  document.getElementById('filter-form').addEventListener('submit', (e) => {
    e.preventDefault();
    tail.length = 0;
    if (connected) attachSpy();
  });
  view.channelFilter.addEventListener('input', () => { dirty = true; });
  setInterval(render, 250);
  connect();
});
