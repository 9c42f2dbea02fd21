// client.spy (issue 15): a Node client attached as a spy of the hub sees
// the traffic between other peers (Node and the Go peer), filtered by
// channel pattern and by peer, requests with their latency and outcome;
// it ignores what peers send on the spy channel, and attaches again by
// itself when its client reconnects to a restarted hub.
'use strict';
const { test } = require('node:test');
const assert = require('node:assert/strict');
const h = require('./helpers.js');

// events records a spy's events; until(pred) resolves with the first
// event, from the last one taken on, that passes pred.
function recorder() {
  /** @type {any[]} */
  const seen = [];
  /** @type {Array<() => void>} */
  let wake = [];
  let taken = 0;
  return {
    seen,
    /** @param {any} ev */
    push(ev) { seen.push(ev); const w = wake; wake = []; for (const f of w) f(); },
    /** @param {(ev: any) => boolean} pred @param {string} what */
    until(pred, what) {
      return h.within(new Promise((resolve) => {
        const look = () => {
          for (; taken < seen.length; taken++) {
            if (pred(seen[taken])) { resolve(seen[taken++]); return; }
          }
          wake.push(look);
        };
        look();
      }), 10000, what);
    },
  };
}

test('client.spy sees sends and requests between Node and Go peers, by channel and by peer', async (t) => {
  const hub = await h.startHub(t);
  await h.startGoPeer(t, hub.unix);
  const a = await h.connected(t, hub.unix, { peerName: 'a' });
  const b = await h.connected(t, hub.tcp, { peerName: 'b' });
  b.on('app/news', () => {});
  b.on('other/news', () => {});
  const byChannel = await h.connected(t, hub.unix, { peerName: 'spy-channel' });
  const byPeer = await h.connected(t, hub.unix, { peerName: 'spy-peer' });
  const chan = recorder();
  const peer = recorder();
  const stopChan = await byChannel.spy({ channels: ['app/*', 'go/**'] }, (ev) => chan.push(ev));
  await byPeer.spy({ peers: ['gopeer'] }, (ev) => peer.push(ev));

  // A second spy on the same client is refused: the hub keeps one filter per peer.
  await assert.rejects(byChannel.spy({}, () => {}), (err) => err.code === 'spy-attached');
  // A filter the hub refuses rejects.
  const bad = await h.connected(t, hub.unix, { peerName: 'bad' });
  await assert.rejects(bad.spy({ channels: ['app/[x'] }, () => {}), (err) => err.code === 'refused' && /spy/.test(err.message));
  await assert.rejects(bad.spy({ channels: 'app' }, () => {}), TypeError);

  // A peer's message on the spy channel is no event.
  a.send('/electron-common-ipc/spy', { kind: 'send', channel: 'app/forged' });
  a.send('other/news', 'not for the channel spy');
  a.send('app/news', 'hello', 42);
  const send = await chan.until((ev) => ev.kind === 'send', 'the send on app/news');
  assert.equal(send.channel, 'app/news');
  assert.equal(send.from.name, 'a');
  assert.equal(send.from.process.type, 'node');
  assert.deepEqual(send.to.map((p) => p.name), ['b']);
  assert.ok(send.time instanceof Date);
  assert.match(send.preview, /hello/);
  assert.ok(send.size > 0);

  const answer = await b.request('go/echo', 5000, 'ping');
  assert.equal(answer.payload, 'ping');
  const req = await chan.until((ev) => ev.kind === 'request', 'the request on go/echo');
  assert.equal(req.channel, 'go/echo');
  assert.equal(req.from.name, 'b');
  assert.deepEqual(req.to.map((p) => p.name), ['gopeer']);
  const resp = await chan.until((ev) => ev.kind === 'response', 'the response on go/echo');
  assert.equal(resp.request, req.request);
  assert.equal(resp.status, 'resolved');
  assert.equal(resp.from.name, 'gopeer');
  assert.ok(resp.latencyMs > 0, `latency ${resp.latencyMs}`);
  await assert.rejects(b.request('go/nobody', 5000));
  const none = await chan.until((ev) => ev.kind === 'response' && ev.channel === 'go/nobody', 'the no-listener response');
  assert.equal(none.status, 'no-listener');
  for (const ev of chan.seen) {
    assert.ok(!ev.channel || /^(app\/[^/]+|go\/.*)$/.test(ev.channel), `the channel spy saw ${ev.kind} on ${ev.channel}`);
  }

  // The peer spy saw the request and response that involved gopeer, and
  // not a's sends.
  await peer.until((ev) => ev.kind === 'response' && ev.channel === 'go/echo', 'the peer spy seeing the response');
  for (const ev of peer.seen) {
    const names = [ev.from && ev.from.name, ...(ev.to || []).map((p) => p.name)];
    assert.ok(names.includes('gopeer'), `the peer spy saw ${ev.kind} on ${ev.channel} between ${names}`);
  }

  // Stopped, the spy gets nothing more; the client may spy again.
  stopChan();
  const count = chan.seen.length;
  const again = recorder();
  await byChannel.spy({ channels: ['app/**'] }, (ev) => again.push(ev));
  a.send('app/news', 'after');
  await again.until((ev) => ev.kind === 'send' && /after/.test(ev.preview), 'the send after spying again');
  assert.equal(chan.seen.length, count, 'the stopped spy got more events');
});

test('client.spy attaches again after its client reconnects', async (t) => {
  const hub = await h.restartableHub(t);
  const FAST = { reconnectWait: 20, maxReconnectWait: 200, reconnectJitter: 20, timeoutDelay: 10000 };
  const watcher = await h.connected(t, hub.unix, { peerName: 'watcher', ...FAST });
  const sender = await h.connected(t, hub.unix, { peerName: 'sender', ...FAST });
  const ev = recorder();
  await watcher.spy({ channels: ['app/**'] }, (e) => ev.push(e));
  sender.send('app/x', 'before');
  await ev.until((e) => e.kind === 'send' && /before/.test(e.preview), 'the send before the restart');

  const log = h.statusLog(watcher);
  const back = log.next('connected');
  await hub.stop('SIGKILL');
  await hub.start();
  await back;
  // The spy's request follows the reconnect: wait for the new hub to list
  // it (the sender's sends, kept while it reconnects, come after).
  const listed = async () => {
    for (;;) {
      const state = (await watcher.request('/electron-common-ipc/queryState', 5000)).payload;
      if (state.connections.some((c) => c.peers.some((p) => p.name === 'watcher' && p.spy))) return;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };
  await h.within(listed(), 10000, 'the new hub listing the spy');
  sender.send('other/x', 'filtered out');
  sender.send('app/y', 'after');
  const after = await ev.until((e) => e.kind === 'send' && e.channel !== 'app/x', 'a send after the restart');
  assert.equal(after.channel, 'app/y');
  assert.match(after.preview, /after/);
});
