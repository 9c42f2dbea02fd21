// Node clients across hub restarts (issue 12): the hub stopped (SIGTERM,
// its lame-duck shutdown) or killed (SIGKILL) and started again on the
// same socket and port. Clients reconnect by themselves and say so
// (client.status, client.onStatus), listeners get messages again, a
// service is available again, and nothing sent once both ends say
// 'connected' is lost; a terminal refusal ends in 'closed' at once.
'use strict';
const { test } = require('node:test');
const assert = require('node:assert/strict');
const h = require('./helpers.js');

// Quick attempts; a connect may take long on a loaded machine.
const FAST = { reconnectWait: 20, maxReconnectWait: 200, reconnectJitter: 20, timeoutDelay: 10000 };
const TOKEN = 'reconnect-test-token';

// collect records the messages of channel on client.
function collect(client, channel) {
  /** @type {any[]} */
  const got = [];
  /** @type {Array<{n: number, resolve: () => void}>} */
  let waiting = [];
  client.on(channel, (_event, ...args) => {
    got.push(args[0]);
    waiting = waiting.filter((w) => (got.length >= w.n ? (w.resolve(), false) : true));
  });
  return {
    got,
    // count resolves once n messages have come in all.
    count: (n) => h.within(new Promise((resolve) => {
      if (got.length >= n) resolve(undefined); else waiting.push({ n, resolve: () => resolve(undefined) });
    }), 20000, `${n} messages on ${channel}`),
  };
}

// assertOutage checks statuses, those seen since a hub went away: the
// outage as the engine lives it, then connected.
function assertOutage(statuses, who) {
  assert.ok(statuses.length >= 3, `${who}: statuses ${statuses}`);
  assert.equal(statuses[0], 'disconnected', `${who}: statuses ${statuses}`);
  assert.equal(statuses[statuses.length - 1], 'connected', `${who}: statuses ${statuses}`);
  assert.equal(statuses[statuses.length - 2], 'reconnecting', `${who}: statuses ${statuses}`);
  for (const s of statuses.slice(0, -1)) assert.ok(s === 'disconnected' || s === 'reconnecting', `${who}: statuses ${statuses}`);
}

test('Node clients ride through hub restarts: status, listeners, services, peer ids', async (t) => {
  const ipc = h.pkg();
  const hub = await h.restartableHub(t, () => ['--token', TOKEN]);
  // a and a2 share a connection (Unix socket); b has its own (TCP).
  const a = await h.connected(t, hub.unix, { peerName: 'a', ...FAST });
  const a2 = await h.connected(t, hub.unix, { peerName: 'a2', ...FAST });
  const b = await h.connected(t, hub.tcp, { peerName: 'b', ...FAST });
  assert.equal(a.status, 'connected');
  const logA = h.statusLog(a);
  const logB = h.statusLog(b);
  const chat = collect(a, 'chat');
  a.on('never-answered', () => {});
  const svc = ipc.CreateIpcBusService(a, 'calc', { Add: (x, y) => x + y });
  svc.start();
  t.after(() => svc.stop());
  const proxy = ipc.CreateIpcBusServiceProxy(b, 'calc', { timeoutDelay: 20000 });
  await h.within(proxy.connect(), 10000, 'proxy connect');
  t.after(() => proxy.close());
  assert.equal(await proxy.call('Add', 1, 2), 3);

  let sent = 0;
  for (const signal of ['SIGTERM', 'SIGKILL']) {
    const fromA = logA.events.length;
    const fromB = logB.events.length;
    const oldId = a.peer.id;
    // (A lame duck waits for requests in flight: only the crash cuts one.)
    const pending = signal === 'SIGKILL' ? b.request('never-answered', 30000).then(() => null, (err) => err) : null;
    const lostA = logA.next('disconnected');
    const backA = logA.next('connected');
    const backB = logB.next('connected');
    await hub.stop(signal);
    await lostA;
    if (pending) {
      const err = await h.within(pending, 10000, 'the pending request');
      assert.equal(err && err.code, 'disconnected', `the request pending at the loss: ${err && err.message}`);
    }
    assert.ok(['disconnected', 'reconnecting'].includes(a.status), `${signal}: a.status ${a.status} during the outage`);
    // Sent during the outage on a's connection: kept, sent once back, in order.
    for (let i = 0; i < 5; i++) assert.equal(a2.send('chat', `buffered-${signal}-${i}`), true);
    await hub.start();
    const [evA] = await Promise.all([backA, backB]);

    assertOutage(logA.since(fromA), `a after ${signal}`);
    assertOutage(logB.since(fromB), `b after ${signal}`);
    assert.equal(a.status, 'connected');
    assert.equal(b.status, 'connected');
    const disc = logA.events[fromA];
    assert.ok(disc.reason instanceof Error && typeof disc.reason.code === 'string', `${signal}: the loss has a reason`);
    if (signal === 'SIGTERM') assert.equal(disc.reason.closeCode, 4001, `${signal}: the hub said shutdown: ${disc.reason.message}`);
    assert.ok(evA.attempt >= 1, `${signal}: connected after attempt ${evA.attempt}`);
    assert.equal(evA.peer, a.peer);

    // The peer ids are the new hub's; queryState lists them.
    const state = (await b.request(ipc.IPCBUS_CHANNEL_QUERY_STATE, 5000)).payload;
    const names = new Map();
    for (const c of state.connections) for (const p of c.peers) names.set(p.id, p.name);
    assert.equal(names.get(a.peer.id), 'a', `${signal}: a is peer ${a.peer.id} (was ${oldId}) in ${JSON.stringify([...names])}`);
    assert.equal(names.get(b.peer.id), 'b');
    assert.equal(names.size, 3, `${signal}: the new hub's peers: ${JSON.stringify([...names])}`);

    // What was buffered came first, in order; then every message b sends
    // now that both said connected.
    await chat.count(sent + 5);
    assert.deepEqual(chat.got.slice(sent, sent + 5), [0, 1, 2, 3, 4].map((i) => `buffered-${signal}-${i}`));
    sent += 5;
    for (let i = 0; i < 100; i++) assert.equal(b.send('chat', `${signal}-${i}`), true);
    await chat.count(sent + 100);
    assert.deepEqual(chat.got.slice(sent), Array.from({ length: 100 }, (_, i) => `${signal}-${i}`));
    sent += 100;

    // The service announced itself again: the proxy calls it, the hub lists it.
    assert.equal(await h.within(proxy.call('Add', 20, 22), 20000, `${signal}: a call through the proxy`), 42);
    assert.equal(proxy.isStarted, true);
    assert.equal(await proxy.checkAvailability(), true);
  }
});

for (const transport of ['tcp', 'ws']) {
  test(`a terminal refusal (a bad token over ${transport}) ends in closed, with no more attempts`, async (t) => {
    // The hub comes back with another token: the client's is refused, in
    // hello over TCP, at the upgrade (403) over WebSocket.
    const hub = await h.restartableHub(t, (n) => ['--token', n === 0 ? TOKEN : 'another-token'], { ws: transport === 'ws' });
    const c = await h.connected(t, hub[transport], { peerName: 'c', ...FAST });
    const log = h.statusLog(c);
    const closed = log.next('closed', 30000);
    await hub.stop('SIGTERM');
    await hub.start();
    const ev = await closed;
    const want = transport === 'tcp' ? 'unauthorized' : 'unreachable';
    assert.equal(ev.reason && ev.reason.code, want, `closed because: ${ev.reason && ev.reason.message}`);
    assert.equal(c.status, 'closed');
    // (disconnected reconnecting)+ closed: the refused attempt was the last.
    const statuses = log.since(0);
    assert.equal(statuses[statuses.length - 1], 'closed');
    const outage = statuses.slice(0, -1);
    assert.ok(outage.length >= 2 && outage.length % 2 === 0, `statuses ${statuses}`);
    outage.forEach((s, i) => assert.equal(s, i % 2 === 0 ? 'disconnected' : 'reconnecting', `statuses ${statuses}`));
    assert.equal(c.send('x', 1), false);
    await assert.rejects(c.request('x', 1000), (err) => /** @type {any} */ (err).code === 'not-connected');
  });
}

test('reconnect: false: a lost hub closes the client', async (t) => {
  const hub = await h.restartableHub(t);
  const c = await h.connected(t, hub.unix, { peerName: 'once', reconnect: false, timeoutDelay: 10000 });
  const log = h.statusLog(c);
  const closed = log.next('closed');
  await hub.stop('SIGKILL');
  const ev = await closed;
  assert.deepEqual(log.since(0), ['closed']);
  assert.ok(ev.reason instanceof Error, 'closed with a reason');
  await hub.start();
  // Connecting again is a new connection.
  await h.within(c.connect(hub.unix, { reconnect: false, timeoutDelay: 10000 }), 10000, 'connect again');
  assert.equal(c.status, 'connected');
});

test('during an outage sends are kept up to reconnectBufBytes, then refused', async (t) => {
  const hub = await h.restartableHub(t);
  const c = await h.connected(t, hub.unix, { peerName: 'buffered', reconnectBufBytes: 4096, ...FAST });
  const log = h.statusLog(c);
  const lost = log.next('disconnected');
  await hub.stop('SIGKILL');
  await lost;
  assert.equal(c.send('x', 'a'.repeat(1000)), true);
  assert.equal(c.send('x', 'b'.repeat(1000)), true);
  assert.throws(() => c.send('x', 'c'.repeat(4000)), (err) => /** @type {any} */ (err).code === 'reconnect-buffer-full');
  await assert.rejects(c.request('x', 5000, 'd'.repeat(4000)), (err) => /** @type {any} */ (err).code === 'reconnect-buffer-full');
  // A kept request keeps its own deadline.
  await assert.rejects(c.request('x', 300, 'small'), (err) => /** @type {any} */ (err).code === 'timeout');
});

test('connect checks the reconnect options', async () => {
  const c = h.pkg().CreateIpcBusClient();
  assert.equal(c.status, 'idle');
  await assert.rejects(c.connect('unix:/nonexistent', { reconnect: 'yes' }), TypeError);
  await assert.rejects(c.connect('unix:/nonexistent', { reconnectWait: -1 }), TypeError);
  await assert.rejects(c.connect('unix:/nonexistent', { reconnectBufBytes: Number.NaN }), TypeError);
  assert.equal(c.status, 'idle');
  assert.throws(() => c.onStatus(/** @type {any} */ ('not a function')), TypeError);
});
