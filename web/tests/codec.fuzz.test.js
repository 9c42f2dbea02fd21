// The JS codec against hostile bytes: whatever another peer sends, decode
// returns a value or throws an "ipcbus:" RangeError, never anything else,
// and what it returns encodes back stably.
//
// Every run replays the seeds below and the committed corpus
// (testdata/fuzz-codec/*.hex, one input in hex per file), then mutates them
// for a fixed number of inputs with a fixed seed, so that the run is the same
// each time. IPCBUS_FUZZ_TIME=5m (`make fuzz-long`) mutates with a random
// seed for that long instead, and writes any failing input to the corpus.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const corpusDir = path.join(__dirname, 'testdata', 'fuzz-codec');

function duration(s) {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(s || '');
  if (!m) throw new Error(`IPCBUS_FUZZ_TIME=${s}: want a duration such as 30s or 5m`);
  return Number(m[1]) * { ms: 1, s: 1e3, m: 60e3, h: 3600e3 }[m[2]];
}

// A small PRNG (mulberry32), so that a seeded run is the same everywhere.
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function seeds(codec) {
  const values = [
    null, true, false, 0, -1, 127, 128, -33, 65535, 2 ** 32, -(2 ** 40), 2 ** 53 + 2, 1.5, -0.25,
    2n ** 63n - 1n, -(2n ** 63n), '', 'a', 'é€😀', 'x'.repeat(40), 'y'.repeat(300),
    new Uint8Array([1, 2, 3]), new Uint8Array(300), new Date(0), new Date(1700000000123),
    [], [1, [2, [3, [4]]]], {}, { uuid: 'u', payload: { a: [1, 'b', null] } },
    new Map([[1, 'one'], ['two', 2]]), ['mixed', 1, { k: new Uint8Array(2) }, [null, true]],
  ];
  const out = values.map((v) => codec.encode(v));
  const nest = (n, open) => { const b = new Uint8Array(n + 1).fill(open); b[n] = 0xc0; return b; };
  out.push(nest(100, 0x91), nest(20000, 0x91), nest(20000, 0x81)); // deep arrays, deep maps (keys nested)
  out.push(Uint8Array.from([0xdd, 0xff, 0xff, 0xff, 0xff, 0xc0])); // a count no bytes carry
  out.push(Uint8Array.from([0xdf, 0x00, 0x10, 0x00, 0x00, 0xa0, 0xc0])); // the same for a map
  const wide = new Uint8Array(5 + (1 << 16)).fill(0x80); // 65536 empty maps
  wide.set([0xdd, 0x00, 0x01, 0x00, 0x00]);
  out.push(wide);
  out.push(Uint8Array.from([0xc7, 0x0c, 0xff, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])); // timestamp 96
  out.push(Uint8Array.from([0xd7, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])); // timestamp 64, max
  out.push(Uint8Array.from([0xc1]), Uint8Array.from([0xdb, 0, 0, 0, 9, 0x61]), Uint8Array.from([0x92, 0x01]));
  if (fs.existsSync(corpusDir)) {
    for (const f of fs.readdirSync(corpusDir).sort()) {
      if (f.endsWith('.hex')) out.push(Uint8Array.from(Buffer.from(fs.readFileSync(path.join(corpusDir, f), 'utf8').trim(), 'hex')));
    }
  }
  return out;
}

// mutate returns b changed in one to four places: bytes flipped, set to an
// interesting value, inserted, deleted, or a piece of another input spliced in.
function mutate(b, rand, pool) {
  let a = Array.from(b);
  const interesting = [0x00, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xc0, 0xc4, 0xc7, 0xd4, 0xd7, 0xd9, 0xdc, 0xdd, 0xde, 0xdf, 0xff];
  const n = 1 + Math.floor(rand() * 4);
  for (let k = 0; k < n; k++) {
    const i = Math.floor(rand() * (a.length + 1));
    switch (Math.floor(rand() * 6)) {
      case 0: if (i < a.length) a[i] ^= 1 << Math.floor(rand() * 8); break;
      case 1: if (i < a.length) a[i] = interesting[Math.floor(rand() * interesting.length)]; break;
      case 2: a.splice(i, 0, Math.floor(rand() * 256)); break;
      case 3: a.splice(i, 1 + Math.floor(rand() * 4)); break;
      case 4: if (i < a.length) a[i] = Math.floor(rand() * 256); break;
      default: {
        const other = pool[Math.floor(rand() * pool.length)];
        const from = Math.floor(rand() * other.length);
        a.splice(i, 0, ...other.subarray(from, from + 1 + Math.floor(rand() * 16)));
      }
    }
  }
  if (a.length > 1 << 20) a = a.slice(0, 1 << 20);
  return Uint8Array.from(a);
}

// check fails unless decode of b returns a value that encodes stably, or
// throws an ipcbus RangeError.
function check(codec, b) {
  let v;
  try {
    v = codec.decode(b);
  } catch (err) {
    if (err instanceof RangeError && err.message.startsWith('ipcbus:')) return;
    throw new Error(`decode threw ${err && err.name}: ${err && err.message}`);
  }
  let once;
  try {
    once = codec.encode(v);
  } catch (err) {
    // What decode makes can always be sent again, but for dates JS cannot
    // hold (an invalid Date), which encode names.
    if (err instanceof TypeError && err.message.startsWith('ipcbus: cannot send')) return;
    throw new Error(`encode of the decoded value threw ${err && err.name}: ${err && err.message}`);
  }
  const twice = codec.encode(codec.decode(once));
  if (Buffer.compare(Buffer.from(once), Buffer.from(twice)) !== 0) throw new Error('decode/encode is not stable');
}

test('the codec decodes hostile bytes to a value or an ipcbus RangeError, never a crash', async (t) => {
  const codec = await import('../src/codec.js');
  const pool = seeds(codec);
  for (const b of pool) check(codec, b);

  const long = process.env.IPCBUS_FUZZ_TIME;
  const seed = long ? crypto.randomInt(2 ** 31) : 1;
  const rand = prng(seed);
  const until = long ? Date.now() + duration(long) : Infinity;
  const budget = long ? Infinity : 20000;
  let execs = 0;
  for (; execs < budget && Date.now() < until; execs++) {
    const b = mutate(pool[Math.floor(rand() * pool.length)], rand, pool);
    try {
      check(codec, b);
    } catch (err) {
      const hex = Buffer.from(b).toString('hex');
      if (long) {
        fs.mkdirSync(corpusDir, { recursive: true });
        const name = path.join(corpusDir, crypto.createHash('sha256').update(hex).digest('hex').slice(0, 16) + '.hex');
        fs.writeFileSync(name, hex + '\n');
        err.message += ` (input written to ${name})`;
      }
      err.message += ` (seed ${seed}, input ${hex.length > 400 ? hex.slice(0, 400) + '…' : hex})`;
      throw err;
    }
  }
  t.diagnostic(`${execs} mutated inputs (seed ${seed})`);
});

test('a deep or wide payload is refused with a clear error, and a legitimate one decodes', async () => {
  const codec = await import('../src/codec.js');
  // 10,001 levels of [<32-byte string>, [...]]: too deep, though not too big.
  const level = [0x92, 0xd9, 0x20, ...new Array(32).fill(0x61)];
  const deep = new Uint8Array(level.length * 10001 + 1);
  for (let i = 0; i < 10001; i++) deep.set(level, i * level.length);
  deep[deep.length - 1] = 0xc0;
  assert.throws(() => codec.decode(deep), { name: 'RangeError', message: 'ipcbus: msgpack value nested too deep' });
  const bare = new Uint8Array(10002).fill(0x91); // [[[...]]] costs more than its bytes first
  bare[10001] = 0xc0;
  assert.throws(() => codec.decode(bare), { name: 'RangeError', message: /^ipcbus: msgpack value (nested too deep|too complex)/ });
  const wide = new Uint8Array(5 + (4 << 20)).fill(0x80); // 4 Mi empty maps in 4 MiB
  wide.set([0xdd, 0x00, 0x40, 0x00, 0x00]);
  assert.throws(() => codec.decode(wide), { name: 'RangeError', message: /^ipcbus: msgpack value too complex/ });
  assert.throws(() => codec.decode(Uint8Array.from([0xdd, 0xff, 0xff, 0xff, 0xff])), { message: /^ipcbus: msgpack count 4294967295 past the end/ });
  const rows = Array.from({ length: 50000 }, (_, i) => ({ uuid: `id-${i}`, payload: [i, 'x'] }));
  assert.deepEqual(codec.decode(codec.encode(rows)), rows);
  const ints = Array.from({ length: 1 << 20 }, (_, i) => i & 0x7f);
  assert.deepEqual(codec.decode(codec.encode(ints)), ints);
});
