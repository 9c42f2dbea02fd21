// src/node/hub-process.js: the `ipcbus serve` hub as a child process of
// this one (IpcBusBroker, IpcBusBridge). The binary is the package's
// bin/ipcbus, or $IPCBUS_BIN. The hub watches its stdin (--parent-stdin):
// this process holds the pipe's other end, so when it ends, killed or not,
// the hub stops. startHub resolves once the hub listens, with the
// addresses it prints; it rejects with the hub's own error (address in
// use, ...) when the hub exits first.
import { spawn } from 'node:child_process';
import path from 'node:path';

// unpacked is path p outside Electron's app.asar: its copy in
// app.asar.unpacked (asarUnpack), since no process can run a binary
// inside the archive, nor can the hub read files there.
export function unpacked(p) {
  return p.replace(/([\\/])app\.asar([\\/])/, '$1app.asar.unpacked$2');
}

export function hubBinary() {
  return process.env.IPCBUS_BIN || unpacked(path.join(__dirname, '..', 'bin', 'ipcbus'));
}

const STDERR_KEPT = 8192;

/**
 * @param {string[]} args serve's flags
 * @param {number} timeoutMs how long the hub may take to listen (< 0: no limit)
 * @returns {Promise<{child: import('node:child_process').ChildProcess, unix: string, tcp: string, ws: string}>}
 */
export function startHub(args, timeoutMs) {
  const bin = hubBinary();
  return new Promise((resolve, reject) => {
    const child = spawn(bin, ['serve', '--parent-stdin', '--log-level', 'warn', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    let out = '';
    let ready = false;
    const addrs = { child, unix: '', tcp: '', ws: '' };
    const timer = timeoutMs >= 0 ? setTimeout(() => fail(new Error(`ipcbus: the hub (${bin}) did not listen within ${timeoutMs} ms`)), timeoutMs) : null;
    function fail(err) {
      if (ready) return;
      ready = true;
      if (timer) clearTimeout(timer);
      child.kill('SIGKILL');
      reject(err);
    }
    child.on('error', (err) => {
      const e = /** @type {NodeJS.ErrnoException} */ (err);
      fail(new Error(e.code === 'ENOENT'
        ? `ipcbus: no hub binary at ${bin} (set IPCBUS_BIN to the ipcbus binary)`
        : `ipcbus: starting the hub ${bin}: ${err.message}`));
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (s) => {
      if (ready) {
        process.stderr.write(s);
        return;
      }
      stderr = (stderr + s).slice(-STDERR_KEPT);
    });
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (s) => {
      if (ready) return;
      out += s;
      for (const line of out.split('\n')) {
        const m = /^\s+(unix|tcp|ws)\s+(\S+)/.exec(line);
        if (m) addrs[/** @type {'unix' | 'tcp' | 'ws'} */ (m[1])] = m[2];
        if (line.startsWith('Try:')) {
          ready = true;
          if (timer) clearTimeout(timer);
          resolve(addrs);
          return;
        }
      }
    });
    child.on('exit', (code, signal) => {
      const said = stderr.trim().split('\n').filter((l) => l.startsWith('ipcbus serve:')).map((l) => l.slice('ipcbus serve:'.length).trim());
      fail(new Error(`ipcbus: the hub exited (${signal || `code ${code}`})${said.length ? `: ${said.join('; ')}` : stderr.trim() ? `: ${stderr.trim()}` : ''}`));
    });
  });
}

// stopHub closes the hub's stdin (it stops as when this process ends) and
// waits for it to exit, killing it after timeoutMs.
export function stopHub(child, timeoutMs) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve(undefined);
      return;
    }
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs > 0 ? timeoutMs : 2000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(undefined);
    });
    child.stdin.end();
  });
}
