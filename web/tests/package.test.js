// The packed tarball (make npm) installed into an empty folder: the
// original README's sample and its "NodeJS App" recipe run as written but
// for the package's name, import and require share one instance, and the
// sample in TypeScript type-checks with tsc --strict against the typings.
'use strict';
const { test, before } = require('node:test');
const assert = require('node:assert/strict');
const { execFile, spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const h = require('./helpers.js');

const version = require('../package.json').version;
const tgz = process.env.IPCBUS_TGZ || path.join(h.root, 'bin', `ipcbus-${version}.tgz`);
const fixtures = path.join(__dirname, 'fixtures');
let app; // the folder the tarball is installed in

// The app's environment: nothing of this repository's.
const env = { ...process.env };
delete env.IPCBUS_BIN;
delete env.IPCBUS_ADDR;
delete env.IPCBUS_PKG;

function run(cmd, args, opts) {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { cwd: app, env, timeout: 180000, ...opts }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')}: ${err.message}\n${stdout}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

before(async () => {
  app = fs.mkdtempSync(path.join(os.tmpdir(), 'ipcbus-app-'));
  process.on('exit', () => fs.rmSync(app, { recursive: true, force: true }));
  await run('npm', ['install', '--offline', '--no-audit', '--no-fund', tgz]);
  for (const f of fs.readdirSync(fixtures)) fs.copyFileSync(path.join(fixtures, f), path.join(app, f));
  // Electron's app, for the sample's electronApp.on('ready', ...): the one
  // thing of Electron it uses.
  const electron = path.join(app, 'node_modules', 'electron');
  fs.mkdirSync(electron);
  fs.writeFileSync(path.join(electron, 'index.js'), "exports.app = { on(event, fn) { if (event === 'ready') setImmediate(fn); } };\n");
});

test('the installed package has the engine, the bundles, the typings and the hub', () => {
  const dir = path.join(app, 'node_modules', 'ipcbus');
  for (const f of ['dist/client.wasm', 'dist/wasm_exec.js', 'dist/node.cjs', 'dist/node.mjs', 'dist/browser.mjs',
    'dist/ipcbus-preload.bundle.js', 'dist/ipcbus-page.bundle.js', 'dist/ipcbus.d.ts', 'bin/ipcbus']) {
    assert.ok(fs.existsSync(path.join(dir, f)), `${f} is missing`);
  }
  fs.accessSync(path.join(dir, 'bin', 'ipcbus'), fs.constants.X_OK);
  assert.deepEqual(fs.readdirSync(path.join(app, 'node_modules')).filter((f) => !f.startsWith('.')).sort(), ['electron', 'ipcbus']); // no dependencies
});

test("the README's sample runs as written", async (t) => {
  const port = await new Promise((resolve) => {
    const srv = require('node:net').createServer().listen(0, '127.0.0.1', () => {
      const p = srv.address().port;
      srv.close(() => resolve(p));
    });
  });
  const child = spawn(process.execPath, ['readme-sample.js', String(port)], { cwd: app, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (s) => { stderr += s; });
  t.after(() => child.kill('SIGKILL'));
  const want = [
    /^IpcBusBroker started$/,
    /^IpcBusBridge started$/,
    /^client1 received greeting: hello everyone!$/,
    /^client2 received greeting: hello everyone!$/,
    /^client1 received greeting-reply: client1: thanks to all listeners$/,
    /^client1 received greeting-reply: client2: thanks to all listeners$/,
    /^"client[12]" replied thanks to you, dear #client2$/,
    /^"client[12]" replied within 1sec1 thanks to you, dear #client1$/,
  ];
  const seen = [];
  await h.within(new Promise((resolve, reject) => {
    h.lines(child.stdout, (l) => {
      seen.push(l);
      if (want.every((re) => seen.some((s) => re.test(s)))) resolve(undefined);
    });
    child.on('exit', (code) => reject(new Error(`the sample exited (${code}): ${stderr}`)));
  }), 20000, `the sample's lines (so far: ${JSON.stringify(seen)})`).catch((err) => {
    throw new Error(`${err.message}; seen ${JSON.stringify(seen)}; stderr ${stderr}`);
  });
});

test('the NodeJS App recipe: a broker and a client in main, a forked child on the port from its argv', async () => {
  const out = await run(process.execPath, ['nodeapp-main.js']);
  const r = JSON.parse(out.trim().split('\n').pop());
  assert.equal(r.fromChild.msg, 'child got hello child');
  assert.equal(r.fromChild.sender.name, 'child');
  assert.equal(r.fromChild.sender.process.type, 'node');
  assert.equal(r.fromChild.sender.process.pid, r.childPid);
  assert.equal(r.childAnswer, 42);
  assert.equal(r.childAsked, 'main got child');
  const peers = r.state.connections.flatMap((c) => c.peers.map((p) => ({ name: p.name, type: p.process.type, pid: p.process.pid })));
  assert.ok(peers.some((p) => p.name === 'main' && p.type === 'node'), JSON.stringify(peers));
  assert.ok(peers.some((p) => p.name === 'child' && p.type === 'node' && p.pid === r.childPid), JSON.stringify(peers));
});

test('import and require give one instance', async () => {
  const r = JSON.parse(await run(process.execPath, ['esm-and-cjs.mjs']));
  assert.equal(r.same, true);
  assert.ok(r.names > 10);
});

test("the README's sample in TypeScript type-checks with tsc --strict against the typings", async () => {
  fs.writeFileSync(path.join(app, 'tsconfig.json'), JSON.stringify({
    compilerOptions: { strict: true, noEmit: true, target: 'es2022', module: 'nodenext', moduleResolution: 'nodenext', lib: ['es2022', 'dom'], types: [] },
    files: ['readme-sample.ts'],
  }));
  const tsc = path.join(__dirname, '..', 'node_modules', 'typescript', 'bin', 'tsc');
  await run(process.execPath, [tsc, '-p', 'tsconfig.json']);
  // and a file with a real mistake does not
  fs.writeFileSync(path.join(app, 'bad.ts'), "import { CreateIpcBusClient } from 'ipcbus';\nCreateIpcBusClient().connect({ peerName: 7 });\n");
  fs.writeFileSync(path.join(app, 'tsconfig.bad.json'), JSON.stringify({ extends: './tsconfig.json', files: ['bad.ts'] }));
  await assert.rejects(run(process.execPath, [tsc, '-p', 'tsconfig.bad.json']), /TS2322|TS2769/);
});
