// The Node client against a real hub and a Go peer (tests/gopeer): send
// and request both ways, the value table, services both ways, every
// connect form, and how requests fail.
'use strict';
const { test } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const h = require('./helpers.js');

test('Node and Go: send and request both ways, with the value table', async (t) => {
  const hub = await h.startHub(t);
  await h.startGoPeer(t, hub.unix);
  const c = await h.connected(t, hub.unix.slice('unix:'.length), { peerName: 'node' });

  // Node -> Go, send and request
  const verdict = h.next(c, 'go/values/verdict');
  assert.equal(c.send('go/values/check', ...h.valueTable()), true);
  assert.deepEqual((await verdict).args, ['ok']);
  const r = await c.request('go/values/check', 5000, ...h.valueTable());
  assert.equal(r.payload, 'ok');
  assert.equal(r.event.sender.name, 'gopeer');

  // Go -> Node, a request's payload and a send's args
  assert.deepEqual((await c.request('go/values/get', 5000)).payload, h.receivedTable());
  const values = h.next(c, 'node/values');
  assert.equal((await c.request('go/values/send', 5000)).payload, 'sent');
  const got = await values;
  assert.deepEqual(got.args, h.receivedTable());
  assert.equal(got.event.sender.name, 'gopeer');
  assert.equal(got.event.sender.process.type, 'node');

  // Go requests Node
  c.on('node/values/check', (event, ...args) => {
    try {
      assert.deepEqual(args, h.receivedTable());
      event.request.resolve('node says ok');
    } catch (err) {
      event.request.reject(err);
    }
  });
  assert.equal((await c.request('go/values/ask', 5000)).payload, 'node says ok');

  // a Go CLI peer too
  const said = h.next(c, 'cli/greeting');
  await c.request(h.pkg().IPCBUS_CHANNEL_QUERY_STATE, 3000); // the subscription is at the hub
  await h.cli(['send', '--addr', hub.tcp, 'cli/greeting', '"hello"', '{"n": 99999999999999}']);
  assert.deepEqual((await said).args, ['hello', { n: 99999999999999 }]);
});

test('services: a Node service called from Go, a Go service called from Node', async (t) => {
  const ipc = h.pkg();
  const hub = await h.startHub(t);
  await h.startGoPeer(t, hub.unix);
  const c = await h.connected(t, hub.unix);
  const svc = ipc.CreateIpcBusService(c, 'nodecalc', { Mul: (a, b) => a * b });
  svc.start();
  t.after(() => svc.stop());
  assert.equal((await c.request('go/call-node', 5000)).payload, 42);
  assert.equal(await h.cli(['call', '--addr', hub.unix, 'nodecalc', 'Mul', '3', '5']).then((s) => JSON.parse(s)), 15);

  const proxy = ipc.CreateIpcBusServiceProxy(c, 'gocalc');
  const wrapper = await proxy.connect();
  assert.equal(await proxy.call('Add', 2, 3), 5);
  assert.equal(await wrapper.Add(20, 22), 42);
  await proxy.close();
});

test('connect: every form of electron-common-ipc, and IPCBUS_ADDR', async (t) => {
  const ipc = h.pkg();
  const hub = await h.startHub(t);
  const sock = hub.unix.slice('unix:'.length);
  const [, port] = /^tcp:127\.0\.0\.1:(\d+)\?token=.+$/.exec(hub.tcp).map(Number);
  // The port forms find the token in IPCBUS_ADDR, as a broker's child does.
  const saved = process.env.IPCBUS_ADDR;
  process.env.IPCBUS_ADDR = hub.tcp;
  t.after(() => { if (saved === undefined) delete process.env.IPCBUS_ADDR; else process.env.IPCBUS_ADDR = saved; });
  const forms = [
    [port],
    [String(port)],
    [port, '127.0.0.1'],
    [port, '127.0.0.1', { peerName: 'p3', timeoutDelay: 3000 }],
    [port, { peerName: 'p4' }],
    [sock],
    [sock, { peerName: 'p6' }],
    [hub.unix],
    [hub.tcp],
    [`127.0.0.1:${port}`],
    [{ port, host: '127.0.0.1', peerName: 'p10', timeoutDelay: 3000 }],
    [{ port }],
    [{ path: sock, peerName: 'p12' }],
  ];
  const seen = new Set();
  for (const args of forms) {
    const c = await h.connected(t, ...args);
    assert.equal(typeof c.peer.id, 'number', `connect(${JSON.stringify(args)})`);
    assert.equal(c.peer.process.type, 'node');
    assert.equal(c.peer.type, 'node');
    assert.equal(c.peer.process.pid, process.pid);
    const o = args.find((a) => a && typeof a === 'object');
    if (o && o.peerName) assert.equal(c.peer.name, o.peerName);
    seen.add(c.peer.id);
  }
  assert.equal(seen.size, forms.length);

  // no address: IPCBUS_ADDR, as a child process inherits it
  const d = await h.connected(t);
  const e = await h.connected(t, { peerName: 'env' });
  const state = (await d.request(ipc.IPCBUS_CHANNEL_QUERY_STATE, 5000)).payload;
  const names = state.connections.flatMap((conn) => conn.peers.map((p) => p.name));
  assert.ok(names.includes('env'), `queryState names ${names}`);
  assert.equal(typeof e.peer.id, 'number');

  // bad addresses fail with an Error, nothing hangs
  const bad = ipc.CreateIpcBusClient();
  await assert.rejects(bad.connect(path.join(path.dirname(sock), 'nobody.sock'), { timeoutDelay: 2000 }), Error);
  await assert.rejects(bad.connect(70000), RangeError);
  await assert.rejects(bad.connect(() => {}), TypeError);
});

// setEnv sets (or, with undefined, unsets) an environment variable until
// the test ends.
function setEnv(t, name, value) {
  const saved = process.env[name];
  if (value === undefined) delete process.env[name]; else process.env[name] = value;
  t.after(() => { if (saved === undefined) delete process.env[name]; else process.env[name] = saved; });
}

test('the token, as the Go clients find it: given, in the address, IPCBUS_TOKEN, the default token file', async (t) => {
  const ipc = h.pkg();
  const runtime = h.tempDir(t);
  setEnv(t, 'XDG_RUNTIME_DIR', runtime);
  setEnv(t, 'IPCBUS_ADDR', undefined);
  setEnv(t, 'IPCBUS_TOKEN', undefined);
  // A hub on the default socket writes the default token file, listing its port.
  const mine = await h.startHub(t, ['--unix', path.join(runtime, 'ipcbus.sock')]);
  const [, port, token] = /^tcp:127\.0\.0\.1:(\d+)\?token=(.+)$/.exec(mine.tcp);
  const tokenFile = path.join(runtime, 'ipcbus.sock.token');
  assert.equal(fs.statSync(tokenFile).mode & 0o777, 0o600);
  // refused: connect rejects with code (a TCP hello is refused with
  // unauthorized; a WebSocket upgrade without the token is refused before
  // any hello, as unreachable), and nothing throws elsewhere.
  const refused = async (code, ...args) => {
    const c = ipc.CreateIpcBusClient();
    await assert.rejects(h.within(c.connect(...args), 10000, 'connect'), (err) => err instanceof Error && err.code === code, `connect(${JSON.stringify(args)})`);
  };

  for (const args of [[Number(port)], [port], [`127.0.0.1:${port}`], [{ port: Number(port) }]]) {
    await h.connected(t, ...args);
  }
  for (const args of [[`${port}?token=${token}`], [`127.0.0.1:${port}?token=${token}`], [mine.tcp], [Number(port), { token }]]) {
    await h.connected(t, ...args);
  }
  await refused('unauthorized', Number(port), { token: 'guess' });

  // A hub elsewhere: the default file does not list its port.
  const other = await h.startHub(t);
  const [, otherPort, otherToken] = /^tcp:127\.0\.0\.1:(\d+)\?token=(.+)$/.exec(other.tcp);
  await refused('unauthorized', Number(otherPort));
  await h.connected(t, Number(otherPort), { token: otherToken });
  setEnv(t, 'IPCBUS_TOKEN', otherToken);
  await h.connected(t, `tcp:127.0.0.1:${otherPort}`, { peerName: 'from-env' });
  setEnv(t, 'IPCBUS_TOKEN', undefined);

  // A token file others may read is not trusted.
  fs.chmodSync(tokenFile, 0o644);
  await refused('unauthorized', Number(port));
  fs.chmodSync(tokenFile, 0o600);

  // the hub's ws URL with its token, and without it
  const ws = await h.startHub(t, ['--ws', '127.0.0.1:0']);
  await h.connected(t, ws.ws);
  await refused('unreachable', ws.ws.replace(/\?token=.*$/, ''));
});

test('requests reject with {event, err} on an Error subclass', async (t) => {
  const ipc = h.pkg();
  const hub = await h.startHub(t);
  const c = await h.connected(t, hub.unix, { peerName: 'asker' });
  const r = await h.connected(t, hub.unix, { peerName: 'refuser' });
  r.on('refuse', (event) => event.request.reject(new Error('not today')));
  r.on('slow', () => {});

  const cases = [
    ['refuse', 2000, 'rejected', 'not today', 'refuser'],
    ['nobody', 2000, 'no-listener', /no listener/, 'asker'],
    ['slow', 200, 'timeout', 'timeout', 'asker'],
  ];
  for (const [channel, ms, code, err, sender] of cases) {
    const failure = await c.request(channel, ms).then(() => assert.fail(`${channel} resolved`), (e) => e);
    assert.ok(failure instanceof Error, `${channel}: ${failure}`);
    assert.ok(failure instanceof ipc.IpcBusRequestError);
    assert.equal(failure.code, code);
    if (typeof err === 'string') assert.equal(failure.err, err); else assert.match(failure.err, err);
    assert.equal(failure.event.channel, channel);
    assert.equal(failure.event.sender.name, sender);
  }
  await c.close({ timeoutDelay: 1000 });
  await assert.rejects(c.request('refuse', 1000), (e) => e instanceof Error && e.code === 'not-connected');
  assert.equal(c.send('refuse'), false);
});

test('large binaries: sent as they are, received whole, the sender\'s buffer left alone', async (t) => {
  const hub = await h.startHub(t);
  const sock = hub.unix.slice('unix:'.length);
  const a = await h.connected(t, sock, { peerName: 'a' });
  const b = await h.connected(t, sock, { peerName: 'b' });
  const big = Buffer.alloc(1 << 20, 7);
  const mid = new Uint8Array(70 * 1024).fill(9);
  const got = h.next(b, 'big');
  b.on('echo', (event, v) => event.request.resolve(v));
  await b.request(h.pkg().IPCBUS_CHANNEL_QUERY_STATE, 3000); // b's listeners are at the hub
  assert.equal(a.send('big', 'label', big, mid, Buffer.from([1, 2])), true);
  assert.equal(big.length, 1 << 20, 'the sender\'s Buffer is not detached');
  assert.ok(big.every((x) => x === 7), 'the sender\'s Buffer is unchanged');
  const { args } = await got;
  assert.equal(args[0], 'label');
  assert.ok(args[1] instanceof Uint8Array && args[1].length === 1 << 20 && args[1].every((x) => x === 7));
  assert.ok(args[2] instanceof Uint8Array && args[2].length === 70 * 1024 && args[2].every((x) => x === 9));
  assert.deepEqual(args[3], new Uint8Array([1, 2]));
  const r = await a.request('echo', 5000, big);
  assert.ok(r.payload instanceof Uint8Array && r.payload.length === 1 << 20 && r.payload.every((x) => x === 7));
});
