// An Electron app's main process as far as ipcbus goes, for
// TestTwoAppsOnOneMachine: IpcBusBridge.Create() and connect() with the
// default options (its own hub, socket and WebSocket port), the handler
// the bridge registers with ipcMain (a stand-in of Electron's), and a
// main-process client answering app/name with argv[3]. It prints one JSON
// line {addr, config, args} once ready, then answers the tests' requests
// as electron-main.cjs does ({id, op: 'handle', channel, event} through
// the registered handler, {op: 'args'}: the bridge's
// additionalArguments). It exits when stdin ends. With IPCBUS_HYBRID_ADDR
// set, the bridge and the client connect to that hub, which another
// process started (the hybrid app).
'use strict';
const readline = require('node:readline');
const ipc = require(process.argv[2]);
const name = process.argv[3];

const handlers = new Map();
const ipcMain = {
  handle(channel, fn) {
    if (handlers.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`);
    handlers.set(channel, fn);
  },
  removeHandler(channel) { handlers.delete(channel); },
};

(async () => {
  let bridge;
  const hubHost = () => new URL(bridge.config.url).host;
  bridge = ipc.IpcBusBridge.Create({ ipcMain, allowedPages: [(url) => new URL(url).host === hubHost()] });
  const hybrid = process.env.IPCBUS_HYBRID_ADDR;
  if (hybrid) await bridge.connect(hybrid);
  else await bridge.connect();
  const main = ipc.IpcBusClient.Create();
  if (hybrid) await main.connect(hybrid, { peerName: `main-${name}` });
  else await main.connect({ peerName: `main-${name}` });
  main.on('app/name', (event) => event.request.resolve(name));
  process.stdout.write(`${JSON.stringify({ addr: process.env.IPCBUS_ADDR, config: bridge.config, args: bridge.additionalArguments })}\n`);

  const rl = readline.createInterface({ input: process.stdin });
  rl.on('line', async (line) => {
    const req = JSON.parse(line);
    let answer;
    try {
      if (req.op === 'args') {
        answer = { id: req.id, result: bridge.additionalArguments };
      } else {
        const fn = handlers.get(req.channel);
        if (!fn) throw new Error(`No handler registered for '${req.channel}'`);
        answer = { id: req.id, result: await fn(req.event) };
      }
    } catch (err) {
      answer = { id: req.id, error: String((err && err.message) || err) };
    }
    process.stdout.write(`${JSON.stringify(answer)}\n`);
  });
  rl.on('close', async () => {
    await main.close();
    await bridge.close();
    process.exit(0);
  });
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
