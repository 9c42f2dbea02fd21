'use strict';
// profile.js: one Node-client figure outside the orchestrator, for
// profiling (node --cpu-prof cannot go through NODE_OPTIONS): a hub
// (benchproc hub) or electron-common-ipc's broker, a sender and a receiver
// (worker.js), one one-way or sequential-request run, and the CPU time
// each process used per message.
//
//   node profile.js --benchproc BIN --pkg DIR/node.cjs [--system ipcbus|eci]
//        [--scenario oneway|reqseq] [--size 1024] [--n 100000] [--warm N [--warmsize B]] [--prof DIR]
//
// --pkg is web/build.sh's output (its node.cjs); --prof runs both workers
// with --cpu-prof into DIR.
const { spawn } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const readline = require('readline');
const { args } = require('./common');

const a = args();
const system = a.system || 'ipcbus';
const scenario = a.scenario || 'oneway';
const size = Number(a.size || 1024);
const n = Number(a.n || 100000);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ipcbus-prof-'));

function start(name, argv, env) {
  const p = spawn(argv[0], argv.slice(1), { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'inherit'] });
  const waiting = new Map();
  readline.createInterface({ input: p.stdout }).on('line', (line) => {
    const r = JSON.parse(line);
    const key = `${r.seq}/${r.phase}`;
    const w = waiting.get(key);
    if (w) { waiting.delete(key); w(r); } else waiting.set(key, r);
  });
  let seq = 0;
  const await_ = (s, phase) => {
    const key = `${s}/${phase}`;
    const r = waiting.get(key);
    if (r && typeof r === 'object') { waiting.delete(key); return Promise.resolve(r); }
    return new Promise((res) => waiting.set(key, res));
  };
  return {
    name, p,
    hello: await_(0, 'ready'),
    send(cmd) { seq++; p.stdin.write(JSON.stringify({ ...cmd, seq }) + '\n'); return seq; },
    await: await_,
  };
}

// cpuMs reads a process's user+system CPU time from /proc.
function cpuMs(pid) {
  const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const parts = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return ((Number(parts[11]) + Number(parts[12])) * 1000) / 100; // USER_HZ 100
}

async function main() {
  const sock = path.join(tmp, 'hub.sock');
  let hub;
  let addr;
  const env = {};
  if (system === 'eci') {
    hub = start('broker', ['node', path.join(__dirname, 'broker.js'), '--path', sock]);
    addr = (await hub.hello).addr;
  } else {
    hub = start('hub', [a.benchproc, 'hub', '-unix', sock]);
    addr = (await hub.hello).addrs[0];
    env.BENCH_IPCBUS = path.resolve(a.pkg);
  }
  const prof = a.prof ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(a.prof)}`] : [];
  const worker = (id) => start(`w${id}`, ['node', ...prof, path.join(__dirname, 'worker.js'), '--id', String(id), '--path', addr], env);
  const w0 = worker(0);
  const w1 = worker(1);
  await w0.hello;
  await w1.hello;
  // --warm N: N one-way messages first, untimed (the JIT's and wasm's tiers)
  if (Number(a.warm) > 0) {
    const warm = { ch: 'w.data', ackCh: 'w.ack', probeCh: 'w.probe', n: Number(a.warm), size: Number(a.warmsize || size), timeoutMs: 60000 };
    const s1 = w1.send({ op: 'recv', ...warm, warmup: 1, ackEvery: 64 });
    await w1.await(s1, 'ready');
    const s0 = w0.send({ op: 'send', ...warm, window: 256, dst: [1] });
    await Promise.all([w0.await(s0, 'done'), w1.await(s1, 'done')]);
  }
  const procs = [hub, w0, w1];
  const cpu0 = procs.map((p) => cpuMs(p.p.pid));
  let count;
  let result;
  if (scenario === 'oneway') {
    const common = { ch: 'p.data', ackCh: 'p.ack', probeCh: 'p.probe', n, size, timeoutMs: 60000 };
    const window = Math.min(Math.max(Math.floor((16 << 20) / size), 8), 4096);
    const s1 = w1.send({ op: 'recv', ...common, warmup: Math.min(n / 10, 1000), ackEvery: Math.max(window / 4, 1) });
    await w1.await(s1, 'ready');
    const t0 = process.hrtime.bigint();
    const s0 = w0.send({ op: 'send', ...common, window, dst: [1] });
    const [r0, r1] = await Promise.all([w0.await(s0, 'done'), w1.await(s1, 'done')]);
    const secs = Number(process.hrtime.bigint() - t0) / 1e9;
    count = n;
    result = { sender: r0, receiver: { ...r1, rate: r1.count / ((r1.lastNs - r1.firstNs) / 1e9) }, secs };
  } else {
    const s1 = w1.send({ op: 'serve', ch: 'p.req' });
    await w1.await(s1, 'done');
    const s0 = w0.send({ op: 'reqseq', ch: 'p.req', n, size, warmup: 200, timeoutMs: 60000 });
    const r0 = await w0.await(s0, 'done');
    count = r0.count;
    result = r0;
  }
  const cpu1 = procs.map((p) => cpuMs(p.p.pid));
  const per = procs.map((p, i) => `${p.name} ${((cpu1[i] - cpu0[i]) * 1000 / count).toFixed(1)}`);
  console.log(JSON.stringify(result));
  console.log(`CPU µs/msg: ${per.join(', ')}`);
  for (const p of [w0, w1]) p.send({ op: 'quit' });
  await Promise.all([w0, w1].map((w) => new Promise((res) => w.p.on('exit', res))));
  // The hub stops when its stdin closes (and writes its profile then).
  hub.p.stdin.end();
  await new Promise((res) => hub.p.on('exit', res));
  fs.rmSync(tmp, { recursive: true, force: true });
}

main().catch((err) => { console.error(err); process.exit(1); });
