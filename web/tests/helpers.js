// Helpers of the Node suites (node --test in web/): the package as built by
// `make npm` (IPCBUS_PKG, default ../bin/npm/ipcbus), a real hub started
// per test as a child process on a temp Unix socket and a free loopback TCP
// port, and the Go peer (bin/gopeer, web/tests/gopeer). Everything started
// here stops when the test ends.
'use strict';
const { spawn, execFile } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '..', '..');
const pkgDir = process.env.IPCBUS_PKG || path.join(root, 'bin', 'npm', 'ipcbus');
const hubBin = process.env.IPCBUS_BIN || path.join(pkgDir, 'bin', 'ipcbus');
const gopeerBin = process.env.IPCBUS_GOPEER || path.join(root, 'bin', 'gopeer');

function pkg() { return require(pkgDir); }

function tempDir(t) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipcbus-node-test-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

// within rejects if p has not settled after ms.
function within(p, ms, what) {
  let timer;
  return Promise.race([
    p,
    new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: nothing after ${ms} ms`)), ms); }),
  ]).finally(() => clearTimeout(timer));
}

// lines calls onLine with each line of a readable stream.
function lines(stream, onLine) {
  let buf = '';
  stream.setEncoding('utf8');
  stream.on('data', (s) => {
    buf += s;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      onLine(buf.slice(0, i));
      buf = buf.slice(i + 1);
    }
  });
}

// startProcess runs a command that prints ready (a line matching it) once
// it is ready; it ends (stdin closed, then SIGKILL) when the test does.
function startProcess(t, cmd, args, ready, env) {
  const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...(env || {}) } });
  const out = [];
  let err = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (s) => { err = (err + s).slice(-4000); });
  t.after(() => new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve(undefined);
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    child.once('exit', () => { clearTimeout(timer); resolve(undefined); });
    child.stdin.end();
  }));
  const started = new Promise((resolve, reject) => {
    lines(child.stdout, (l) => {
      out.push(l);
      if (ready.test(l)) resolve(out);
    });
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`${cmd} exited (${code}) before it was ready: ${err}`)));
  });
  return within(started, 30000, `${path.basename(cmd)} start`).then((o) => ({ child, out: o, stderr: () => err }));
}

// startHub runs `ipcbus serve` on a temp Unix socket and a free TCP port;
// it resolves to {unix, tcp} ("unix:PATH", "tcp:127.0.0.1:PORT").
async function startHub(t, extra) {
  const dir = tempDir(t);
  const { out } = await startProcess(t, hubBin, ['serve', '--parent-stdin', '--log-level', 'warn',
    '--unix', path.join(dir, 'hub.sock'), '--tcp', '127.0.0.1:0', ...(extra || [])], /^Try:/);
  const addr = { unix: '', tcp: '', ws: '' };
  for (const l of out) {
    const m = /^\s+(unix|tcp|ws)\s+(\S+)/.exec(l);
    if (m) addr[m[1]] = m[2];
  }
  return addr;
}

// restartableHub runs `ipcbus serve` on a temp Unix socket and a loopback
// TCP port, which the test stops (SIGTERM: the lame-duck shutdown; SIGKILL:
// a crash) and starts again on the same socket and port, as an app restarts
// its hub. args(n) gives the extra flags of the n-th start (0 first);
// with opts.ws the hub has a WebSocket listener too, on the same port each
// time.
async function restartableHub(t, args, opts) {
  const dir = tempDir(t);
  const sock = path.join(dir, 'hub.sock');
  let tcp = '127.0.0.1:0';
  let ws = '127.0.0.1:0';
  let starts = 0;
  /** @type {any} */
  let running = null;
  const hub = {
    unix: `unix:${sock}`,
    tcp: '', // tcp:127.0.0.1:PORT?token=T, of the last start
    ws: '', // ws://127.0.0.1:PORT/ws?token=T, with opts.ws
    async start() {
      const extra = args ? args(starts) : [];
      if (opts && opts.ws) extra.push('--ws', ws);
      starts++;
      running = await startProcess(t, hubBin, ['serve', '--parent-stdin', '--log-level', 'warn', '--lame-duck', '100ms',
        '--unix', sock, '--tcp', tcp, ...extra], /^Try:/);
      for (const l of running.out) {
        const m = /^\s+tcp\s+(tcp:(\S+?:\d+)\S*)/.exec(l);
        if (m) [, hub.tcp, tcp] = m;
        const w = /^\s+ws\s+(ws:\/\/(\S+?:\d+)\S*)/.exec(l);
        if (w) [, hub.ws, ws] = w;
      }
    },
    // stop ends the running hub with signal and waits for it to exit.
    stop(signal) {
      const { child } = running;
      running = null;
      if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
      return new Promise((resolve) => {
        child.once('exit', resolve);
        child.kill(signal);
      });
    },
  };
  await hub.start();
  return hub;
}

// statusLog records the status events of client: log.events, and
// log.next(status) resolves with the next event of that status.
function statusLog(client) {
  /** @type {any[]} */
  const events = [];
  /** @type {Array<{status: string, resolve: (ev: any) => void}>} */
  let waiting = [];
  client.onStatus((ev) => {
    events.push(ev);
    const now = waiting.filter((w) => w.status === ev.status);
    waiting = waiting.filter((w) => w.status !== ev.status);
    for (const w of now) w.resolve(ev);
  });
  return {
    events,
    // since(i) lists the statuses from event i on.
    since: (i) => events.slice(i).map((ev) => ev.status),
    next: (status, ms) => within(new Promise((resolve) => waiting.push({ status, resolve })), ms || 20000, `status ${status} of ${client.peer.name}`),
  };
}

// startGoPeer runs the Go peer against addr.
function startGoPeer(t, addr) { return startProcess(t, gopeerBin, [addr], /^ready$/); }

// cli runs an ipcbus client command; it resolves to its stdout.
function cli(args, timeoutMs) {
  return new Promise((resolve, reject) => {
    execFile(hubBin, args, { timeout: timeoutMs || 10000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`ipcbus ${args.join(' ')}: ${err.message} ${stderr}`));
      else resolve(stdout);
    });
  });
}

// connected returns a client of the package connected with args, closed
// when the test ends.
async function connected(t, ...args) {
  const c = pkg().CreateIpcBusClient();
  await within(c.connect(...args), 10000, 'connect');
  t.after(() => c.close());
  return c;
}

// next resolves with the (event, ...args) of the next message on channel.
function next(client, channel, ms) {
  return within(new Promise((resolve) => client.once(channel, (event, ...args) => resolve({ event, args }))), ms || 10000, `a message on ${channel}`);
}

// The value table, as Node sends it and as it comes back from Go.
function valueTable() {
  return [Buffer.from([1, 2, 3]), new Date(1700000000123), { a: null, b: { c: [1, null, 'x'] } }, 'x'.repeat(4096), 99999999999999, -99999999999999];
}
function receivedTable() {
  return [new Uint8Array([1, 2, 3]), new Date(1700000000123), { a: null, b: { c: [1, null, 'x'] } }, 'x'.repeat(4096), 99999999999999, -99999999999999];
}

module.exports = { root, pkgDir, hubBin, gopeerBin, pkg, tempDir, within, lines, startProcess, startHub, restartableHub, statusLog, startGoPeer, cli, connected, next, valueTable, receivedTable };
