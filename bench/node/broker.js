'use strict';
// electron-common-ipc's Node broker on a Unix socket (--path) or on a free
// TCP loopback port; prints its address and runs until stdin closes.
const fs = require('fs');
const net = require('net');
const { eci, args, reply } = require('./common');

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function main() {
  const a = args();
  const broker = eci.CreateIpcBusBroker();
  let addr;
  if (a.path) {
    fs.rmSync(a.path, { force: true }); // a stale socket of an earlier run
    await broker.connect(a.path, { timeoutDelay: 5000 });
    addr = a.path;
  } else {
    const port = await freePort();
    await broker.connect(port, '127.0.0.1', { timeoutDelay: 5000 });
    addr = String(port);
  }
  // The broker's server is unref'ed: stdin keeps this process alive.
  process.stdin.on('end', () => process.exit(0));
  process.stdin.resume();
  reply({ seq: 0, phase: 'ready', pid: process.pid, addr });
}

main().catch((err) => {
  process.stderr.write(`broker: ${err}\n`);
  process.exit(1);
});
