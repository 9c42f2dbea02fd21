// A peer that sends what no decoder should take cannot hurt a Node client:
// the message is dropped and named, a request rejected, and what follows is
// delivered.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const h = require('./helpers');

test('hostile payloads from another peer: dropped and logged, requests rejected, the client goes on', async (t) => {
  const hub = await h.startHub(t);
  await h.startGoPeer(t, hub.unix);
  const c = await h.connected(t, hub.unix.slice('unix:'.length), { peerName: 'node' });
  const logged = [];
  const error = console.error;
  console.error = (...args) => { logged.push(args.join(' ')); };
  t.after(() => { console.error = error; });

  let hostile = 0;
  c.on('node/hostile', () => { hostile++; });
  let asked = 0;
  c.on('node/hostile/ask', (event) => { asked++; event.request.resolve('should not be reached'); });
  const after = h.next(c, 'node/hostile/after');
  const r = await c.request('go/hostile', 10000);
  assert.deepEqual((await after).args, ['after']);
  assert.equal(hostile, 0, 'a listener got a hostile payload');
  assert.equal(asked, 0, 'a listener got a hostile request');
  assert.match(r.payload, /the request could not be read: ipcbus: msgpack value (nested too deep|too complex)/);
  assert.equal(logged.length, 3, logged.join('\n'));
  assert.match(logged[0], /^ipcbus: dropped a message on "node\/hostile" from gopeer#\d+: ipcbus: msgpack value (nested too deep|too complex for its \d+ bytes)$/);
  assert.match(logged[1], /^ipcbus: dropped a message on "node\/hostile" from gopeer#\d+: ipcbus: msgpack value too complex for its \d+ bytes$/);
  assert.match(logged[2], /^ipcbus: dropped a request on "node\/hostile\/ask" from gopeer#\d+/);
  // and the client still works both ways
  assert.equal((await c.request('go/echo', 5000, 'still here')).payload, 'still here');
});
