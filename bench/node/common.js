'use strict';
// Shared by broker.js and worker.js: arguments, the control protocol's
// output, and loading electron-common-ipc (with TCP_NODELAY when asked), or
// with BENCH_IPCBUS the ipcbus package's Node entry, which has the same
// client API (the ipcbus-node rows).

if (process.env.BENCH_NODELAY === '1') {
  require('./nodelay');
}
const eci = require(process.env.BENCH_IPCBUS || 'electron-common-ipc');

// args parses --name value pairs.
function args() {
  const out = {};
  const a = process.argv.slice(2);
  for (let i = 0; i + 1 < a.length; i += 2) {
    out[a[i].replace(/^--/, '')] = a[i + 1];
  }
  return out;
}

// reply writes one line of the control protocol (bench/internal/proto).
function reply(obj) {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

// target returns the arguments of connect() for --path or --port.
function target(a) {
  if (a.path) {
    return [a.path];
  }
  return [Number(a.port), '127.0.0.1'];
}

module.exports = { eci, args, reply, target };
