// The other process of electron-common-ipc's hybrid app, for
// TestHybridApp: an IpcBusBroker on the Unix socket argv[3] and a client
// answering broker/name with "broker". It prints one JSON line {addr} once
// ready and exits when stdin ends.
'use strict';
const ipc = require(process.argv[2]);

(async () => {
  const broker = ipc.IpcBusBroker.Create();
  const addr = await broker.connect({ path: process.argv[3] });
  const client = ipc.IpcBusClient.Create();
  await client.connect({ peerName: 'broker-side' });
  client.on('broker/name', (event) => event.request.resolve('broker'));
  process.stdout.write(`${JSON.stringify({ addr })}\n`);
  process.stdin.resume();
  process.stdin.on('end', async () => {
    await client.close();
    await broker.close();
    process.exit(0);
  });
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
