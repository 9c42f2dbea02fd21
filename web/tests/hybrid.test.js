// The original's hybrid app: a broker started by one Node process, an
// IpcBusBridge in another (Electron's main process) handing its renderers
// that hub's WebSocket listener.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const h = require('./helpers');

test('the hybrid app: a bridge in front of a broker another process started; a ws:// client and that process exchange', async (t) => {
  const ipc = h.pkg();
  const dir = h.tempDir(t);
  const { out } = await h.startProcess(t, process.execPath, [path.join(__dirname, 'fixtures', 'broker-app.cjs'), h.pkgDir, path.join(dir, 'hub.sock')], /^\{/);
  const address = JSON.parse(out[out.length - 1]).addr;
  assert.equal(address, `unix:${path.join(dir, 'hub.sock')}`);

  const bridge = ipc.CreateIpcBusBridge();
  t.after(() => bridge.close());
  await bridge.connect(address);
  const { url, token } = bridge.config;
  assert.match(url, /^ws:\/\/127\.0\.0\.1:\d+\/ws$/);
  assert.ok(token.length > 0, 'the bridge found the hub\'s token');

  const page = await h.connected(t, url, { token, peerName: 'page' }); // as a renderer given bridge.config
  const r = await page.request('broker/name', 5000);
  assert.equal(r.payload, 'broker');
  assert.equal(r.event.sender.name, 'broker-side');
  assert.notEqual(r.event.sender.process.pid, process.pid);
  const back = h.next(page, 'broker/back');
  await page.request(ipc.IPCBUS_CHANNEL_QUERY_STATE, 3000); // the subscription is at the hub
  assert.equal((await page.request('broker/push', 5000)).payload, 'sent');
  assert.deepEqual((await back).args, ['pushed']);

  // closing the bridge leaves the other process's hub running
  await bridge.close();
  assert.equal((await page.request('broker/name', 5000)).payload, 'broker');
});

test('a bridge in front of a hub without a WebSocket listener says so', async (t) => {
  const ipc = h.pkg();
  const other = await h.startHub(t);
  await assert.rejects(ipc.CreateIpcBusBridge().connect(other.unix), /the hub there has no WebSocket listener for renderers; start it with --ws 127\.0\.0\.1:0/);
});
