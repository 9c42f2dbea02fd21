// src/codec.js: JS values <-> msgpack, the payload encoding of ipcbus.
//
// Encodes: null and undefined (nil), booleans, numbers (integers that are
// safe stay integers, others are float64), bigint (int64/uint64), strings,
// Uint8Array, Buffer, ArrayBuffer and other ArrayBuffer views (binary),
// Date (the timestamp extension, as Go's time.Time), arrays, Map (a map)
// and objects (a map of their own enumerable string keys).
// Throws a TypeError naming the path for a function, a symbol or a cycle.
//
// Decodes: nil as null, integers as numbers (bigint past 2^53), binary as
// Uint8Array, the timestamp extension as Date, maps as plain objects (keys
// that are not strings become strings, as in the Go engine). Throws a
// RangeError ("ipcbus: ...") for bytes that are not one msgpack value,
// nesting past 10000, counts the bytes cannot carry, and containers that
// would cost the heap far more than their bytes (see counted).
//
// An ES module; the build (build.mjs) bundles it.

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder();
const TWO32 = 0x100000000;

class Writer {
  constructor(size) {
    this.buf = new Uint8Array(size);
    this.view = new DataView(this.buf.buffer);
    this.pos = 0;
  }
  ensure(n) {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }
  u8(v) { this.ensure(1); this.buf[this.pos++] = v; }
  u16(v) { this.ensure(2); this.view.setUint16(this.pos, v); this.pos += 2; }
  u32(v) { this.ensure(4); this.view.setUint32(this.pos, v); this.pos += 4; }
  bytes(b) { this.ensure(b.length); this.buf.set(b, this.pos); this.pos += b.length; }
  result() { return this.buf.slice(0, this.pos); }
}

// path is the stack of keys and indexes down to the value being
// written, formatted only for an error.
function pathText(path) {
  if (!path.length) return '(the value itself)';
  return path.map((k) => {
    if (typeof k === 'number') return `[${k}]`;
    if (typeof k === 'string') return `.${k}`;
    return 'root' in k ? k.root : `.get(${String(k.get)})`;
  }).join('');
}

function cannot(what, path) {
  return new TypeError(`ipcbus: cannot send ${what} (at ${pathText(path)})`);
}

function writeUint(w, n) {
  if (n < 128) w.u8(n);
  else if (n < 0x100) { w.u8(0xcc); w.u8(n); }
  else if (n < 0x10000) { w.u8(0xcd); w.u16(n); }
  else if (n < TWO32) { w.u8(0xce); w.u32(n); }
  else { w.u8(0xcf); w.u32(Math.floor(n / TWO32)); w.u32(n % TWO32); }
}

function writeInt(w, n) {
  if (n >= 0) { writeUint(w, n); return; }
  if (n >= -32) w.u8(0x100 + n);
  else if (n >= -0x80) { w.u8(0xd0); w.u8(0x100 + n); }
  else if (n >= -0x8000) { w.u8(0xd1); w.u16(0x10000 + n); }
  else if (n >= -0x80000000) { w.u8(0xd2); w.u32(TWO32 + n); }
  else {
    // two's complement of a safe negative integer over 64 bits
    const hi = Math.floor(n / TWO32);
    const lo = n - hi * TWO32;
    w.u8(0xd3); w.u32(hi + TWO32); w.u32(lo);
  }
}

function writeNumber(w, n) {
  if (Number.isSafeInteger(n) && !Object.is(n, -0)) { writeInt(w, n); return; }
  w.u8(0xcb); w.ensure(8); w.view.setFloat64(w.pos, n); w.pos += 8;
}

function writeBigInt(w, n, path) {
  if (n >= 0n && n < 1n << 64n) {
    w.u8(0xcf); w.ensure(8); w.view.setBigUint64(w.pos, n); w.pos += 8;
  } else if (n < 0n && n >= -(1n << 63n)) {
    w.u8(0xd3); w.ensure(8); w.view.setBigInt64(w.pos, n); w.pos += 8;
  } else {
    throw cannot('a bigint outside 64 bits', path);
  }
}

function writeStringHeader(w, n) {
  if (n < 32) w.u8(0xa0 | n);
  else if (n < 0x100) { w.u8(0xd9); w.u8(n); }
  else if (n < 0x10000) { w.u8(0xda); w.u16(n); }
  else { w.u8(0xdb); w.u32(n); }
}

function writeString(w, s) {
  const len = s.length;
  if (len < 32) {
    // Short ASCII strings (keys, channels, names), byte by byte: no
    // encoder call, no allocation.
    w.ensure(1 + len);
    const buf = w.buf;
    let pos = w.pos + 1;
    let i = 0;
    for (; i < len; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) break;
      buf[pos++] = c;
    }
    if (i === len) {
      buf[w.pos] = 0xa0 | len;
      w.pos = pos;
      return;
    }
  }
  const b = utf8Encoder.encode(s);
  writeStringHeader(w, b.length);
  w.bytes(b);
}

function writeBinary(w, b) {
  const n = b.length;
  if (n < 0x100) { w.u8(0xc4); w.u8(n); }
  else if (n < 0x10000) { w.u8(0xc5); w.u16(n); }
  else { w.u8(0xc6); w.u32(n); }
  w.bytes(b);
}

function writeArrayLen(w, n) {
  if (n < 16) w.u8(0x90 | n);
  else if (n < 0x10000) { w.u8(0xdc); w.u16(n); }
  else { w.u8(0xdd); w.u32(n); }
}

function writeMapLen(w, n) {
  if (n < 16) w.u8(0x80 | n);
  else if (n < 0x10000) { w.u8(0xde); w.u16(n); }
  else { w.u8(0xdf); w.u32(n); }
}

// The timestamp extension (-1) in its smallest form, as Go writes it.
function writeDate(w, d, path) {
  const ms = d.getTime();
  if (Number.isNaN(ms)) throw cannot('an invalid Date', path);
  const sec = Math.floor(ms / 1000);
  const nsec = (ms - sec * 1000) * 1e6;
  if (sec >= 0 && sec < TWO32 && nsec === 0) {
    w.u8(0xd6); w.u8(0xff); w.u32(sec);
  } else if (sec >= 0 && sec < 2 ** 34) {
    w.u8(0xd7); w.u8(0xff);
    w.u32(nsec * 4 + Math.floor(sec / TWO32)); w.u32(sec % TWO32);
  } else {
    w.u8(0xc7); w.u8(12); w.u8(0xff); w.u32(nsec);
    w.ensure(8); w.view.setBigInt64(w.pos, BigInt(sec)); w.pos += 8;
  }
}

function bytesOfView(v) {
  return v instanceof Uint8Array ? v : new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
}

function writeValue(w, v, path, seen) {
  switch (typeof v) {
    case 'undefined': w.u8(0xc0); return;
    case 'boolean': w.u8(v ? 0xc3 : 0xc2); return;
    case 'number': writeNumber(w, v); return;
    case 'bigint': writeBigInt(w, v, path); return;
    case 'string': writeString(w, v); return;
    case 'function': throw cannot('a function', path);
    case 'symbol': throw cannot('a symbol', path);
  }
  if (v === null) { w.u8(0xc0); return; }
  if (ArrayBuffer.isView(v)) { writeBinary(w, bytesOfView(v)); return; }
  if (v instanceof ArrayBuffer) { writeBinary(w, new Uint8Array(v)); return; }
  if (v instanceof Date) { writeDate(w, v, path); return; }
  if (seen.has(v)) throw cannot('a cyclic structure', path);
  seen.add(v);
  if (Array.isArray(v)) {
    writeArrayLen(w, v.length);
    for (let i = 0; i < v.length; i++) {
      path.push(i);
      writeValue(w, v[i], path, seen);
      path.pop();
    }
  } else if (v instanceof Map) {
    writeMapLen(w, v.size);
    for (const [k, x] of v) {
      path.push({ get: k });
      writeValue(w, k, path, seen);
      writeValue(w, x, path, seen);
      path.pop();
    }
  } else {
    const keys = Object.keys(v);
    writeMapLen(w, keys.length);
    for (const k of keys) {
      path.push(k);
      writeString(w, k);
      writeValue(w, v[k], path, seen);
      path.pop();
    }
  }
  seen.delete(v);
}

// One writer serves every encode (its buffer grows, then stays, up to
// keepMax bytes); an encode started while another runs (a getter that
// encodes) gets a writer of its own.
const keepMax = 1 << 20;
let shared = new Writer(1024);
let busy = false;

// encode returns the msgpack encoding of v; where names the value in
// errors ("args[0]").
function encode(v, where) {
  if (v instanceof Uint8Array && v.length >= 0x10000) {
    // A big binary alone (a Buffer sent as it is): its header and one copy,
    // not a writer grown to fit it and then copied out of.
    const out = new Uint8Array(5 + v.length);
    out[0] = 0xc6;
    new DataView(out.buffer).setUint32(1, v.length);
    out.set(v, 5);
    return out;
  }
  if (busy) {
    const w = new Writer(256);
    writeValue(w, v, where ? [{ root: where }] : [], new Set());
    return w.result();
  }
  busy = true;
  const w = shared;
  w.pos = 0;
  try {
    writeValue(w, v, where ? [{ root: where }] : [], new Set());
    return w.result();
  } finally {
    busy = false;
    if (w.buf.length > keepMax) shared = new Writer(1024);
  }
}

// encodeEach encodes each of values but those skip(v) is true for (null in
// their place), for the args of a send or a request: the encodings are
// views of one writer's memory, no copy each, valid until the next
// encodeEach. The caller copies them before it returns (client.js: the
// engine's glue writes them into Go's memory in the same call). One
// started while another runs (a getter that sends) gets a writer of its
// own.
let eachShared = new Writer(1024);
let eachBusy = false;
const argNames = Array.from({ length: 16 }, (_, i) => ({ root: `args[${i}]` }));

function encodeEach(values, skip) {
  const nested = eachBusy;
  const w = nested ? new Writer(256) : eachShared;
  eachBusy = true;
  w.pos = 0;
  const ends = new Array(values.length);
  try {
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (skip(v)) {
        ends[i] = -1;
        continue;
      }
      writeValue(w, v, [i < argNames.length ? argNames[i] : { root: `args[${i}]` }], new Set());
      ends[i] = w.pos;
    }
  } finally {
    if (!nested) {
      eachBusy = false;
      // Views of a writer grown past keepMax keep its memory alive only
      // as long as they live.
      if (w.buf.length > keepMax) eachShared = new Writer(1024);
    }
  }
  const out = new Array(values.length);
  let start = 0;
  for (let i = 0; i < values.length; i++) {
    if (ends[i] < 0) {
      out[i] = null;
      continue;
    }
    out[i] = w.buf.subarray(start, ends[i]);
    start = ends[i];
  }
  return out;
}

// ownArgs returns msg with its args (and message) encodings, views of
// encodeEach's writer, copied into buffers of their own: for a link that
// keeps an op past the call that posted it (a queue), and that may then
// transfer those buffers.
function ownArgs(msg) {
  const own = (a) => (a instanceof Uint8Array && (a.byteOffset !== 0 || a.byteLength !== a.buffer.byteLength) ? a.slice() : a);
  if (Array.isArray(msg.args)) msg.args = msg.args.map(own);
  if (msg.message instanceof Uint8Array) msg.message = own(msg.message);
  return msg;
}

class Reader {
  constructor(b, copy) {
    this.b = b;
    this.copy = copy || null;
    this.view = new DataView(b.buffer, b.byteOffset, b.byteLength);
    this.pos = 0;
    this.budget = budgetBase + budgetPerByte * b.length;
  }
  need(n) {
    if (this.pos + n > this.b.length) throw new RangeError('ipcbus: truncated msgpack value');
  }
  u8() { this.need(1); return this.b[this.pos++]; }
  u16() { this.need(2); const v = this.view.getUint16(this.pos); this.pos += 2; return v; }
  u32() { this.need(4); const v = this.view.getUint32(this.pos); this.pos += 4; return v; }
  take(n) { this.need(n); const s = this.b.subarray(this.pos, this.pos + n); this.pos += n; return s; }
  bin(n) { const s = this.take(n); return this.copy === null ? s.slice() : this.copy(s); }
}

function int64(r, signed) {
  r.need(8);
  const big = signed ? r.view.getBigInt64(r.pos) : r.view.getBigUint64(r.pos);
  r.pos += 8;
  return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
}

function readExt(r, n) {
  const type = r.u8();
  const data = r.take(n);
  if (type === 0xff) {
    const v = new DataView(data.buffer, data.byteOffset, data.byteLength);
    if (n === 4) return new Date(v.getUint32(0) * 1000);
    if (n === 8) {
      const hi = v.getUint32(0);
      const nsec = Math.floor(hi / 4);
      const sec = (hi % 4) * TWO32 + v.getUint32(4);
      return new Date(sec * 1000 + Math.floor(nsec / 1e6));
    }
    if (n === 12) {
      return new Date(Number(v.getBigInt64(4)) * 1000 + Math.floor(v.getUint32(0) / 1e6));
    }
  }
  return { extType: type > 127 ? type - 256 : type, data: data.slice() };
}

// Short ASCII strings repeat (keys, channels, names, types): a cache of
// them by their bytes spares building each again, and hands the engine's
// map keys over as the same strings every time.
const shortMax = 16;
const strCache = new Array(4096);

function readShortString(r, n) {
  const b = r.b;
  const start = r.pos;
  const end = start + n;
  let h = n;
  for (let i = start; i < end; i++) {
    const c = b[i];
    if (c >= 0x80) return undefined;
    h = (Math.imul(h, 31) + c) | 0;
  }
  const slot = h & 4095;
  const hit = strCache[slot];
  if (hit !== undefined && hit.length === n) {
    let i = 0;
    while (i < n && hit.charCodeAt(i) === b[start + i]) i++;
    if (i === n) {
      r.pos = end;
      return hit;
    }
  }
  let s = '';
  for (let i = start; i < end; i++) s += String.fromCharCode(b[i]);
  strCache[slot] = s;
  r.pos = end;
  return s;
}

function readString(r, n) {
  if (n <= shortMax) {
    r.need(n);
    const s = readShortString(r, n);
    if (s !== undefined) return s;
  }
  if (n < 32) {
    // Short ASCII strings without a decoder call.
    r.need(n);
    const b = r.b;
    const end = r.pos + n;
    let s = '';
    let i = r.pos;
    for (; i < end; i++) {
      const c = b[i];
      if (c >= 0x80) break;
      s += String.fromCharCode(c);
    }
    if (i === end) {
      r.pos = end;
      return s;
    }
  }
  return utf8Decoder.decode(r.take(n));
}

// Each element takes at least one byte, so a count the bytes left cannot
// carry is refused before anything is allocated for it. Containers also
// spend the reader's budget, what their objects roughly cost in the heap,
// so that a few bytes per empty array or map cannot become many times
// their size in memory.
function counted(r, n, perElement, cost) {
  if (n * perElement > r.b.length - r.pos) throw new RangeError(`ipcbus: msgpack count ${n} past the end of the value`);
  r.budget -= containerCost + n * cost;
  if (r.budget < 0) throw new RangeError(`ipcbus: msgpack value too complex for its ${r.b.length} bytes`);
}

// The budget of a decode: budgetPerByte per byte of input and budgetBase,
// spent containerCost per array or map and arrayElemCost per element or
// mapEntryCost per entry. The Go engine's bound is of the same kind
// (wire.CheckValue), with costs measured on Go's heap, where a map costs more
// than here: 32 bytes per byte of input and 64 KiB.
const budgetPerByte = 16;
const budgetBase = 64 << 10;
const containerCost = 64;
const arrayElemCost = 8;
const mapEntryCost = 32;

function readArray(r, n, depth) {
  counted(r, n, 1, arrayElemCost);
  const a = new Array(n);
  for (let i = 0; i < n; i++) a[i] = readValue(r, depth);
  return a;
}

function readMap(r, n, depth) {
  counted(r, n, 2, mapEntryCost);
  const o = {};
  for (let i = 0; i < n; i++) {
    const k = readValue(r, depth);
    const key = typeof k === 'string' ? k : String(k);
    const v = readValue(r, depth);
    if (key === '__proto__') {
      Object.defineProperty(o, key, { value: v, enumerable: true, writable: true, configurable: true });
    } else {
      o[key] = v;
    }
  }
  return o;
}

// maxDepth is the deepest nesting decoded, the same as the Go engine's
// (wire.MaxDepth in shared/wire/limits.go, counted the same way: a scalar at
// the top is depth 1); a stack that ends first is reported the same way.
const maxDepth = 10000;

function readValue(r, depth) {
  if (++depth > maxDepth) throw new RangeError('ipcbus: msgpack value nested too deep');
  const c = r.u8();
  if (c < 0x80) return c;
  if (c < 0x90) return readMap(r, c & 0x0f, depth);
  if (c < 0xa0) return readArray(r, c & 0x0f, depth);
  if (c < 0xc0) return readString(r, c & 0x1f);
  if (c >= 0xe0) return c - 0x100;
  switch (c) {
    case 0xc0: return null;
    case 0xc2: return false;
    case 0xc3: return true;
    case 0xc4: return r.bin(r.u8());
    case 0xc5: return r.bin(r.u16());
    case 0xc6: return r.bin(r.u32());
    case 0xc7: return readExt(r, r.u8());
    case 0xc8: return readExt(r, r.u16());
    case 0xc9: return readExt(r, r.u32());
    case 0xca: { r.need(4); const v = r.view.getFloat32(r.pos); r.pos += 4; return v; }
    case 0xcb: { r.need(8); const v = r.view.getFloat64(r.pos); r.pos += 8; return v; }
    case 0xcc: return r.u8();
    case 0xcd: return r.u16();
    case 0xce: return r.u32();
    case 0xcf: return int64(r, false);
    case 0xd0: { const v = r.u8(); return v > 127 ? v - 256 : v; }
    case 0xd1: { const v = r.u16(); return v > 32767 ? v - 65536 : v; }
    case 0xd2: { r.need(4); const v = r.view.getInt32(r.pos); r.pos += 4; return v; }
    case 0xd3: return int64(r, true);
    case 0xd4: return readExt(r, 1);
    case 0xd5: return readExt(r, 2);
    case 0xd6: return readExt(r, 4);
    case 0xd7: return readExt(r, 8);
    case 0xd8: return readExt(r, 16);
    case 0xd9: return readString(r, r.u8());
    case 0xda: return readString(r, r.u16());
    case 0xdb: return readString(r, r.u32());
    case 0xdc: return readArray(r, r.u16(), depth);
    case 0xdd: return readArray(r, r.u32(), depth);
    case 0xde: return readMap(r, r.u16(), depth);
    case 0xdf: return readMap(r, r.u32(), depth);
  }
  throw new RangeError(`ipcbus: invalid msgpack byte 0x${c.toString(16)}`);
}

// decode returns the value msgpack bytes b hold; it throws if anything
// follows it. Binary values are copies of their bytes: b.slice(), or what
// copy(view) returns for a view of them (the engine's records under Node:
// Buffers from Node's pool).
function decode(b, copy) {
  const r = new Reader(b, copy);
  let v;
  try {
    v = readValue(r, 0);
  } catch (err) {
    // V8's own stack limit may come before maxDepth.
    if (err instanceof RangeError && !String(err.message).startsWith('ipcbus:')) throw new RangeError('ipcbus: msgpack value nested too deep');
    throw err;
  }
  if (r.pos !== b.length) throw new RangeError('ipcbus: bytes after the msgpack value');
  return v;
}

export { encode, encodeEach, ownArgs, decode };
