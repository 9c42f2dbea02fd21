// IpcBusBroker and IpcBusBridge: the hub as a child process of this one,
// its queries, its errors, and its life tied to its parent's.
'use strict';
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');
const h = require('./helpers.js');

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = /** @type {net.AddressInfo} */ (srv.address());
      srv.close(() => resolve(port));
    });
  });
}

// gone reports whether pid has exited (a zombie counts: it runs no more).
function gone(pid) {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return err.code === 'ESRCH';
  }
  try {
    return /^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

test('a broker on a Unix socket: clients join it with no address, queries, close', async (t) => {
  const ipc = h.pkg();
  const dir = h.tempDir(t);
  const sock = path.join(dir, 'broker.sock');
  const broker = ipc.IpcBusBroker.Create();
  t.after(() => broker.close());
  assert.equal(await broker.connect(sock), `unix:${sock}`);
  assert.equal(process.env.IPCBUS_ADDR, `unix:${sock}`);
  assert.equal(typeof broker.pid, 'number');

  const a = await h.connected(t, { peerName: 'a' }); // no address: this process's hub
  const b = await h.connected(t, sock, { peerName: 'b' });
  b.on('ping', (event, n) => event.request.resolve(n + 1));
  assert.equal((await a.request('ping', 2000, 41)).payload, 42);

  const state = await broker.queryState();
  const names = state.connections.flatMap((c) => c.peers.map((p) => p.name));
  for (const n of ['a', 'b']) assert.ok(names.includes(n), `queryState lists ${names}`);

  assert.equal(await broker.isServiceAvailable('echo'), false);
  const svc = ipc.CreateIpcBusService(b, 'echo', { echo: (x) => x });
  svc.start();
  await b.request(ipc.IPCBUS_CHANNEL_QUERY_STATE, 2000); // the start event has reached the hub
  assert.equal(await broker.isServiceAvailable('echo'), true);
  svc.stop();

  const pid = broker.pid;
  await broker.close();
  assert.ok(gone(pid), 'the hub still runs after close');
  assert.equal(process.env.IPCBUS_ADDR, undefined);
  assert.ok(!fs.existsSync(sock), 'the socket is left behind');
});

test('a broker on a port in use rejects with the hub\'s own error', async (t) => {
  const ipc = h.pkg();
  const srv = net.createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => srv.once('listening', resolve));
  t.after(() => srv.close());
  const port = /** @type {net.AddressInfo} */ (srv.address()).port;
  const broker = ipc.CreateIpcBusBroker();
  await assert.rejects(broker.connect(port), (err) => err instanceof Error && /address already in use/.test(err.message));
  await assert.rejects(ipc.CreateIpcBusBroker().connect(() => {}), TypeError);
});

test('the hub exits within 1 s of its parent\'s SIGKILL, a child process still connected', async (t) => {
  const port = await freePort();
  const parent = `const ipc = require(${JSON.stringify(h.pkgDir)});
    const { spawn } = require('node:child_process');
    const b = ipc.IpcBusBroker.Create();
    b.connect(${port}).then(() => {
      const child = spawn(process.execPath, ['-e', ${JSON.stringify(`const ipc = require(${JSON.stringify(h.pkgDir)});
        ipc.CreateIpcBusClient().connect(${port}, { peerName: 'child' }).then(() => console.log('connected'));
        setInterval(() => {}, 1000);`)}], { stdio: ['ignore', 'pipe', 'inherit'] });
      child.stdout.once('data', () => console.log('hub ' + b.pid + ' child ' + child.pid));
    }, (e) => { console.error(e); process.exit(1); });`;
  const { child, out } = await h.startProcess(t, process.execPath, ['-e', parent], /^hub \d+ child \d+$/);
  const [, hubPid, , childPid] = out[out.length - 1].split(' ').map(Number);
  t.after(() => { try { process.kill(childPid, 'SIGKILL'); } catch {} });
  assert.ok(!gone(hubPid));
  child.kill('SIGKILL');
  const t0 = Date.now();
  while (!gone(hubPid) && Date.now() - t0 < 1000) await new Promise((r) => setTimeout(r, 10));
  assert.ok(gone(hubPid), `the hub (pid ${hubPid}) still runs ${Date.now() - t0} ms after its parent's SIGKILL`);
  if (!gone(hubPid)) process.kill(hubPid, 'SIGKILL');
});

test('a bridge in front of this process\'s broker: a ws:// client and a Unix client exchange', async (t) => {
  const ipc = h.pkg();
  const dir = h.tempDir(t);
  const broker = ipc.CreateIpcBusBroker();
  t.after(() => broker.close());
  await broker.connect({ path: path.join(dir, 'hub.sock') });
  const bridge = ipc.CreateIpcBusBridge();
  t.after(() => bridge.close());
  await bridge.connect();
  const { url, token } = bridge.config;
  assert.match(url, /^ws:\/\/127\.0\.0\.1:\d+\/ws$/);
  assert.ok(token.length > 0);

  const local = await h.connected(t, { peerName: 'local' });
  const viaWS = await h.connected(t, url, { token, peerName: 'ws' });
  viaWS.on('hello', (event, who) => event.request.resolve(`hello ${who}`));
  await viaWS.request(ipc.IPCBUS_CHANNEL_QUERY_STATE, 3000); // viaWS's subscription is at the hub
  const r = await local.request('hello', 3000, 'local');
  assert.equal(r.payload, 'hello local');
  assert.equal(r.event.sender.name, 'ws');
  const back = h.next(local, 'back');
  await local.request(ipc.IPCBUS_CHANNEL_QUERY_STATE, 3000); // local's subscription is at the hub
  viaWS.send('back', Buffer.from('hi'));
  assert.deepEqual((await back).args, [new Uint8Array(Buffer.from('hi'))]);
});

test('a bridge answers preloads over ipcMain: allowed pages only, identity from the event, no token on the command line', async (t) => {
  const ipc = h.pkg();
  const handlers = new Map();
  const ipcMain = {
    handle(channel, fn) {
      assert.ok(!handlers.has(channel), `a second handler for ${channel}`);
      handlers.set(channel, fn);
    },
    removeHandler(channel) { handlers.delete(channel); },
  };
  const bridge = ipc.CreateIpcBusBridge({ ipcMain, allowedPages: ['app://myapp', 'file://'], frames: ['null'] });
  t.after(() => bridge.close());
  await bridge.connect();
  const handle = handlers.get(ipc.IPCBUS_PRELOAD_CHANNEL);
  assert.equal(typeof handle, 'function');
  const { url, token } = bridge.config;
  const event = (frameURL) => ({ sender: { id: 7 }, processId: 3, frameId: 2, senderFrame: { url: frameURL, routingId: 5, osProcessId: 4242 } });

  for (const page of ['app://myapp/index.html', 'file:///opt/app/index.html']) {
    assert.deepEqual(await handle(event(page)), { url, token, frames: ['null'], process: { wcid: 7, rid: 5, pid: 4242 } }, page);
  }
  for (const page of ['app://other/index.html', 'https://example.com/', 'http://127.0.0.1:1/']) {
    assert.throws(() => handle(event(page)), /allowedPages/, page);
  }
  assert.throws(() => handle({ sender: { id: 7 }, senderFrame: null }), /frame is gone/);
  assert.equal(ipc.pageOrigin('app://myapp/a/b.html?x#y'), 'app://myapp');
  assert.equal(ipc.pageOrigin('file:///opt/app/index.html'), 'file://');

  const args = bridge.additionalArguments;
  assert.deepEqual(args, [`--ipcbus-url=${url}`, '--ipcbus-frames=null']);
  assert.ok(!args.join(' ').includes(token));

  await bridge.close();
  assert.equal(handlers.size, 0, 'close removes the handler');
});

test('the hub a bridge starts allows the origins of its allowedPages, and no other', async (t) => {
  const ipc = h.pkg();
  const WebSocket = require('ws');
  const bridge = ipc.CreateIpcBusBridge({ ipcMain: { handle() {}, removeHandler() {} }, allowedPages: ['app://myapp', 'file://', /^https:/] });
  t.after(() => bridge.close());
  await bridge.connect();
  const { url, token } = bridge.config;
  const status = (origin) => new Promise((resolve) => {
    const ws = new WebSocket(`${url}?token=${token}`, 'ipcbus.v1', { origin });
    ws.on('open', () => { ws.close(); resolve(101); });
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode));
    ws.on('error', () => {});
  });
  assert.equal(await status('app://myapp'), 101);
  assert.equal(await status('file://'), 101);
  assert.equal(await status('app://other'), 403);
  assert.equal(await status('null'), 403);
});
