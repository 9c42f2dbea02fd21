// The Node peer of TestNodeAndPage: the ipcbus package's Node entry, as
// web/build.sh built it beside this file's folder (argv[2]: node.cjs),
// connected to the hub's Unix socket (argv[3]). It runs the service
// nodecalc and checks or sends the value table; prints "ready" once its
// listeners are live, and exits when stdin ends.
'use strict';
const assert = require('node:assert/strict');
const ipc = require(process.argv[2]);

const table = () => [Buffer.from([1, 2, 3]), new Date(1700000000123), { a: null, b: { c: [1, null, 'x'] } }, 'x'.repeat(4096), 99999999999999, -99999999999999];
const received = () => [new Uint8Array([1, 2, 3]), new Date(1700000000123), { a: null, b: { c: [1, null, 'x'] } }, 'x'.repeat(4096), 99999999999999, -99999999999999];
function verdict(args) {
  try {
    assert.deepEqual(args, received());
    return 'ok';
  } catch (err) {
    return err.message;
  }
}

(async () => {
  const c = ipc.CreateIpcBusClient();
  await c.connect(process.argv[3], { peerName: 'node' });
  c.on('node/values/check', (event, ...args) => {
    if (event.request) event.request.resolve(verdict(args));
    else c.send('node/values/verdict', verdict(args));
  });
  c.on('node/values/get', (event) => event.request.resolve(table()));
  c.on('node/values/send', (event, channel) => {
    c.send(channel, ...table());
    event.request.resolve('sent');
  });
  c.on('node/values/ask', async (event, channel) => {
    try {
      event.request.resolve((await c.request(channel, 5000, ...table())).payload);
    } catch (err) {
      event.request.reject(err.err || String(err));
    }
  });
  ipc.CreateIpcBusService(c, 'nodecalc', { Mul: (a, b) => a * b }).start();
  await c.request(ipc.IPCBUS_CHANNEL_QUERY_STATE, 5000); // all of the above is at the hub
  console.log('ready');
  process.stdin.resume();
  process.stdin.on('end', () => c.close().then(() => process.exit(0)));
})().catch((err) => { console.error(err); process.exit(1); });
