'use strict';
// A bench worker over electron-common-ipc: the same commands and replies as
// the Go workers (bench/internal/worker), one JSON object per line.
const readline = require('readline');
const { eci, args, reply, target } = require('./common');

const a = args();
const id = Number(a.id || 0);
const requestTimeoutMs = 5000;

// dial connects a new client with a connection of its own: the library
// shares one socket between the clients of a process unless its container
// is reset.
async function dial() {
  // (ipcbus has no container: its clients of one process share one
  // connection per hub address, so a connect after the first joins it.)
  if (eci.DefaultContainer) eci.DefaultContainer.reset();
  const c = eci.CreateIpcBusClient();
  await c.connect(...target(a), { peerName: `bench-${id}`, timeoutDelay: 5000 });
  return c;
}

const now = () => Number(process.hrtime.bigint());
const wallNs = () => (performance.timeOrigin + performance.now()) * 1e6;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// A waker lets a loop await the next ack (or a timeout).
function waker() {
  let wake = null;
  return {
    signal() {
      if (wake) {
        const w = wake;
        wake = null;
        w();
      }
    },
    wait(ms) {
      return new Promise((resolve) => {
        const t = setTimeout(() => { wake = null; resolve(); }, ms);
        wake = () => { clearTimeout(t); resolve(); };
      });
    },
  };
}

async function recv(client, cmd) {
  const r = {};
  let count = 0;
  let finish;
  const done = new Promise((res) => { finish = res; });
  const every = Math.max(cmd.ackEvery || 1, 1);
  const warm = cmd.warmup || 0;
  let ended = false;
  let firstAny;
  const onData = (ev, p) => {
    if (count >= cmd.n || ended) return;
    if (!p || p.length === 0) {
      // The sender ran out of time: the run ends here.
      ended = true;
      client.send(cmd.ackCh, id, count);
      finish();
      return;
    }
    count++;
    r.lastNs = wallNs();
    if (p.length !== cmd.size) r.bad = (r.bad || 0) + 1;
    if (count === 1) firstAny = r.lastNs;
    if (count === warm || (warm === 0 && count === 1)) r.firstNs = r.lastNs;
    if (count % every === 0 || count === cmd.n) client.send(cmd.ackCh, id, count);
    if (count === cmd.n) finish();
  };
  const onProbe = () => client.send(cmd.ackCh, id, 0);
  client.on(cmd.ch, onData);
  client.on(cmd.probeCh, onProbe);
  reply({ seq: cmd.seq, phase: 'ready' });
  const timer = setTimeout(finish, cmd.timeoutMs || 10000);
  await done;
  clearTimeout(timer);
  client.off(cmd.ch, onData);
  client.off(cmd.probeCh, onProbe);
  if (count < cmd.n && !ended) {
    r.err = `timed out after ${count} of ${cmd.n} messages`;
  }
  // Messages after the one that started the clock. A run its budget cut
  // short of the warm-up is timed from its first message.
  r.count = count - Math.max(warm, 1);
  if (r.count <= 0) {
    r.count = count - 1;
    r.firstNs = firstAny;
  }
  if (r.count <= 0 && !r.err) r.err = `only ${count} messages`;
  return r;
}

async function send(client, cmd) {
  const deadline = now() + (cmd.timeoutMs || 10000) * 1e6;
  const acked = new Map(cmd.dst.map((d) => [d, 0]));
  const probed = new Set();
  const w = waker();
  const onAck = (ev, from, n) => {
    if (!acked.has(from)) return;
    if (n === 0) probed.add(from);
    else if (n > acked.get(from)) acked.set(from, n);
    w.signal();
  };
  client.on(cmd.ackCh, onAck);
  try {
    const probe = Buffer.alloc(1);
    while (probed.size < cmd.dst.length) {
      if (now() > deadline) return { err: 'receivers never answered the probe' };
      client.send(cmd.probeCh, probe);
      await w.wait(20);
    }
    const minAcked = () => {
      let m = Infinity;
      for (const v of acked.values()) m = Math.min(m, v);
      return m;
    };
    const payload = Buffer.alloc(cmd.size);
    const window = Math.max(cmd.window || 1, 1);
    const start = now();
    const end = cmd.budgetMs ? start + cmd.budgetMs * 1e6 : Infinity;
    let n = cmd.n;
    for (let i = 0; i < n; i++) {
      if (i % 16 === 0 && now() > end) {
        // Out of time: an empty message tells the receivers the run ends.
        n = i;
        client.send(cmd.ch, Buffer.alloc(0));
        break;
      }
      while (i - minAcked() >= window) {
        if (now() > deadline) return { count: i, err: `timed out after sending ${i} of ${cmd.n}` };
        await w.wait(100);
      }
      client.send(cmd.ch, payload);
    }
    while (minAcked() < n) {
      if (now() > deadline) return { count: n, err: `timed out waiting for acks (${minAcked()} of ${n})` };
      await w.wait(100);
    }
    return { count: n, seconds: (now() - start) / 1e9 };
  } finally {
    client.off(cmd.ackCh, onAck);
  }
}

// The big-payload scenario (electron-common-ipc's test-app): values of one
// kind sent one at a time; one-way time from the sender's call until the
// receiver's listener has them (wall clock). Kinds: bench/internal/proto.
const bigUUID = '6f1c2c8e-3b9a-4d2e-9f0a-1b2c3d4e5f60';

function bigArgs(kind, size) {
  const third = Math.floor(size / 3);
  switch (kind) {
    case 'string': return ['x'.repeat(size)];
    case 'object': return [{ uuid: bigUUID, payload: 'x'.repeat(size) }];
    case 'buffer': return [Buffer.alloc(size)];
    case 'args': return ['x'.repeat(third), { uuid: bigUUID, payload: 'x'.repeat(third) }, Buffer.alloc(third), 42];
    default: throw new Error(`unknown kind ${kind}`);
  }
}

// bigCheck returns an error message when args are not a value of kind and size.
function bigCheck(kind, size, args) {
  const len = (v) => (v == null ? -1 : v.length);
  const third = Math.floor(size / 3);
  switch (kind) {
    case 'string': return len(args[0]) === size ? '' : `string of ${len(args[0])}`;
    case 'object': return args[0] && len(args[0].payload) === size && args[0].uuid === bigUUID ? '' : 'bad object';
    case 'buffer': return len(args[0]) === size ? '' : `buffer of ${len(args[0])}`;
    case 'args':
      return len(args[0]) === third && args[1] && len(args[1].payload) === third &&
        len(args[2]) === third && args[3] === 42 ? '' : 'bad args';
    default: return `unknown kind ${kind}`;
  }
}

async function bigRecv(client, cmd) {
  const r = { count: 0 };
  let finish;
  const done = new Promise((res) => { finish = res; });
  const onData = (ev, ...args) => {
    const bad = bigCheck(cmd.kind, cmd.size, args);
    const at = wallNs();
    if (r.count >= cmd.n) return;
    if (bad) {
      r.bad = (r.bad || 0) + 1;
      r.err = bad;
    }
    r.count++;
    client.send(cmd.ackCh, at);
    if (r.count === cmd.n) finish();
  };
  const onProbe = () => client.send(cmd.ackCh, 0);
  client.on(cmd.ch, onData);
  client.on(cmd.probeCh, onProbe);
  reply({ seq: cmd.seq, phase: 'ready' });
  const timer = setTimeout(finish, cmd.timeoutMs || 10000);
  await done;
  clearTimeout(timer);
  client.off(cmd.ch, onData);
  client.off(cmd.probeCh, onProbe);
  if (r.count < cmd.n) r.err = `timed out after ${r.count} of ${cmd.n} values`;
  return r;
}

async function bigSend(client, cmd) {
  const deadline = now() + (cmd.timeoutMs || 10000) * 1e6;
  const acks = [];
  const w = waker();
  const onAck = (ev, at) => {
    acks.push(at);
    w.signal();
  };
  client.on(cmd.ackCh, onAck);
  try {
    const probe = Buffer.alloc(1);
    for (;;) {
      if (now() > deadline) return { err: 'the receiver never answered the probe' };
      client.send(cmd.probeCh, probe);
      await w.wait(20);
      if (acks.includes(0)) break;
    }
    await sleep(20);
    acks.length = 0; // late answers to earlier probes
    const args = bigArgs(cmd.kind, cmd.size);
    const lat = [];
    for (let i = 0; i < cmd.n; i++) {
      const t0 = wallNs();
      client.send(cmd.ch, ...args);
      for (;;) {
        const at = acks.shift();
        if (at) {
          lat.push((at - t0) / 1e3);
          break;
        }
        if (at === undefined) {
          if (now() > deadline) return { count: i, err: `timed out waiting for the ack of value ${i + 1} of ${cmd.n}` };
          await w.wait(100);
        }
      }
    }
    lat.sort((x, y) => x - y);
    return { count: lat.length, medUs: lat[Math.floor(lat.length / 2)] };
  } finally {
    client.off(cmd.ackCh, onAck);
  }
}

const servers = new Map();

function serve(client, cmd) {
  const fn = (ev, p) => {
    if (ev.request) ev.request.resolve(p);
  };
  client.on(cmd.ch, fn);
  servers.set(cmd.ch, fn);
  return {};
}

function unserve(client, cmd) {
  const fn = servers.get(cmd.ch);
  if (fn) client.off(cmd.ch, fn);
  servers.delete(cmd.ch);
  return {};
}

async function request(client, cmd, p, timeoutMs) {
  const res = await client.request(cmd.ch, timeoutMs || requestTimeoutMs, p);
  if (!res.payload || res.payload.length !== p.length) {
    throw new Error(`answer of ${res.payload && res.payload.length} bytes, want ${p.length}`);
  }
}

// warm retries a first request until the responder is there (a request
// nobody listens to only times out here), then makes cmd.warmup more.
async function warm(client, cmd, p) {
  const deadline = now() + (cmd.timeoutMs || 10000) * 1e6;
  for (;;) {
    try {
      await request(client, cmd, p, 250);
      break;
    } catch (err) {
      if (now() > deadline) throw new Error(`no answer before the deadline: ${JSON.stringify(err)}`);
      await sleep(5);
    }
  }
  const start = now();
  for (let i = 0; i < (cmd.warmup || 0); i++) {
    if (cmd.budgetMs && now() - start > (cmd.budgetMs * 1e6) / 4) break;
    await request(client, cmd, p);
  }
}

// minSamples is how many round trips a sequential run measures even past
// its budget (up to four budgets), so that a slow system still gets a p50.
const minSamples = 10;

function percentile(sorted, p) {
  const i = Math.ceil((sorted.length * p) / 100);
  return sorted[Math.min(Math.max(i - 1, 0), sorted.length - 1)];
}

async function reqSeq(client, cmd) {
  const p = Buffer.alloc(cmd.size);
  await warm(client, cmd, p);
  const deadline = now() + (cmd.timeoutMs || 10000) * 1e6;
  const r = {};
  const lat = [];
  const start = now();
  const budget = cmd.budgetMs ? cmd.budgetMs * 1e6 : Infinity;
  for (let i = 0; i < cmd.n; i++) {
    const spent = now() - start;
    if (spent > 4 * budget || (lat.length >= minSamples && spent > budget)) break;
    if (now() > deadline) {
      r.err = `timed out after ${lat.length} of ${cmd.n} requests`;
      break;
    }
    const t0 = now();
    try {
      await request(client, cmd, p);
      lat.push(now() - t0);
    } catch (err) {
      r.bad = (r.bad || 0) + 1;
      r.err = String(err && err.err ? err.err : err);
    }
  }
  r.count = lat.length;
  if (lat.length > 0) {
    lat.sort((x, y) => x - y);
    r.p50Us = percentile(lat, 50) / 1e3;
    r.p99Us = percentile(lat, 99) / 1e3;
  }
  return r;
}

async function reqPar(client, cmd) {
  const p = Buffer.alloc(cmd.size);
  await warm(client, cmd, p);
  const deadline = now() + (cmd.timeoutMs || 10000) * 1e6;
  let next = 0;
  let ok = 0;
  let bad = 0;
  let firstErr;
  const start = now();
  const end = cmd.budgetMs ? start + cmd.budgetMs * 1e6 : Infinity;
  const lane = async () => {
    while (next++ < cmd.n && now() < deadline && now() < end) {
      try {
        await request(client, cmd, p);
        ok++;
      } catch (err) {
        bad++;
        if (!firstErr) firstErr = String(err && err.err ? err.err : err);
      }
    }
  };
  const lanes = [];
  for (let i = 0; i < Math.max(cmd.inFlight || 1, 1); i++) lanes.push(lane());
  await Promise.all(lanes);
  const r = { count: ok, bad, seconds: (now() - start) / 1e9 };
  if (firstErr) r.err = firstErr;
  else if (ok < cmd.n && now() > deadline) r.err = `timed out after ${ok} of ${cmd.n} requests`;
  return r;
}

async function connect(cmd) {
  const r = {};
  const lat = [];
  for (let i = 0; i < cmd.n; i++) {
    const t0 = now();
    try {
      const c = await dial();
      lat.push(now() - t0);
      await c.close();
    } catch (err) {
      r.bad = (r.bad || 0) + 1;
      r.err = String(err);
    }
  }
  r.count = lat.length;
  if (lat.length > 0) {
    lat.sort((x, y) => x - y);
    r.medUs = percentile(lat, 50) / 1e3;
    r.p99Us = percentile(lat, 99) / 1e3;
  }
  return r;
}

let idle = [];

async function openIdle(cmd) {
  let next = 0;
  let bad = 0;
  let firstErr;
  const lane = async () => {
    while (next++ < cmd.n) {
      // The broker's accept backlog overflows under a burst of connects
      // (EAGAIN on a Unix socket): back off and retry.
      for (let attempt = 0; ; attempt++) {
        try {
          idle.push(await dial());
          break;
        } catch (err) {
          if (attempt < 20 && /EAGAIN|ECONNREFUSED|ECONNRESET/.test(String(err))) {
            await sleep(5 * (attempt + 1));
            continue;
          }
          bad++;
          if (!firstErr) firstErr = String(err);
          break;
        }
      }
    }
  };
  const lanes = [];
  for (let i = 0; i < 16; i++) lanes.push(lane());
  await Promise.all(lanes);
  const r = { count: idle.length, bad };
  if (firstErr) r.err = `${bad} of ${cmd.n} failed, first: ${firstErr}`;
  return r;
}

async function release() {
  const all = idle;
  idle = [];
  await Promise.all(all.map((c) => c.close().catch(() => {})));
  return {};
}

async function run(client, cmd) {
  switch (cmd.op) {
    case 'recv': return recv(client, cmd);
    case 'send': return send(client, cmd);
    case 'serve': return serve(client, cmd);
    case 'unserve': return unserve(client, cmd);
    case 'reqseq': return reqSeq(client, cmd);
    case 'reqpar': return reqPar(client, cmd);
    case 'bigrecv': return bigRecv(client, cmd);
    case 'bigsend': return bigSend(client, cmd);
    case 'connect': return connect(cmd);
    case 'idle': return openIdle(cmd);
    case 'release': return release();
    case 'peers': return {};
    default: return { err: `unknown op ${cmd.op}` };
  }
}

async function main() {
  const client = await dial();
  reply({ seq: 0, phase: 'ready', pid: process.pid });
  const rl = readline.createInterface({ input: process.stdin });
  let chain = Promise.resolve();
  rl.on('line', (line) => {
    const cmd = JSON.parse(line);
    if (cmd.op === 'quit') {
      process.exit(0);
    }
    chain = chain.then(async () => {
      let r;
      try {
        r = await run(client, cmd);
      } catch (err) {
        r = { err: String(err && err.stack ? err.stack : err) };
      }
      reply({ ...r, seq: cmd.seq, phase: 'done' });
    });
  });
  rl.on('close', () => process.exit(0));
}

main().catch((err) => {
  process.stderr.write(`worker: ${err}\n`);
  process.exit(1);
});
