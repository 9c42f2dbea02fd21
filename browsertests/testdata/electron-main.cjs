// The tests' stand-in for Electron's main process: the package's own
// preload handler (what IpcBusBridge registers with ipcMain.handle) and
// its additionalArguments, from the node.cjs web/build.sh built
// (argv[2]). One JSON request a line on stdin, {id, op, config, options,
// event}; one answer a line on stdout, {id, result} or {id, error}. It
// exits when stdin ends.
'use strict';
const readline = require('node:readline');
const ipc = require(process.argv[2]);

const rl = readline.createInterface({ input: process.stdin });
rl.on('line', (line) => {
  let req;
  try {
    req = JSON.parse(line);
  } catch (err) {
    process.stdout.write(`${JSON.stringify({ id: 0, error: `bad request: ${err.message}` })}\n`);
    return;
  }
  const config = () => req.config;
  let answer;
  try {
    switch (req.op) {
      case 'handle':
        if (req.channel !== ipc.IPCBUS_PRELOAD_CHANNEL) {
          throw new Error(`Error invoking remote method '${req.channel}': Error: No handler registered for '${req.channel}'`);
        }
        answer = { id: req.id, result: ipc.preloadConfigHandler(config, req.options)(req.event) };
        break;
      case 'args':
        answer = { id: req.id, result: ipc.preloadArguments(config, req.options) };
        break;
      default:
        throw new Error(`unknown op ${req.op}`);
    }
  } catch (err) {
    answer = { id: req.id, error: String((err && err.message) || err) };
  }
  process.stdout.write(`${JSON.stringify(answer)}\n`);
});
rl.on('close', () => process.exit(0));
process.stdout.write('ready\n');
