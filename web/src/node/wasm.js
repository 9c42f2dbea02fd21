// src/node/wasm.js: client.wasm, run once per process, read with fs from
// the package's dist/ (beside this bundle). Go's loader gets a scope of its
// own as globalThis (what it sets stays there; reads of anything else are
// the real global's), so that it leaves nothing in the app's globals.
import fs from 'node:fs';
import path from 'node:path';
import loadGo from 'ipcbus:wasm_exec';
import { runWasm } from '../engine.js';

/** @type {Promise<any> | undefined} */
let running;

export function wasmPath() {
  return process.env.IPCBUS_WASM || path.join(__dirname, 'client.wasm');
}

function privateGlobal() {
  /** @type {Record<string | symbol, any>} */
  const own = Object.create(null);
  return new Proxy(globalThis, {
    get: (_t, k) => (k in own ? own[k] : Reflect.get(globalThis, k)),
    set: (_t, k, v) => { own[k] = v; return true; },
    has: (_t, k) => k in own || k in globalThis,
    deleteProperty: (_t, k) => delete own[k],
  });
}

export function loadWasm() {
  if (!running) {
    const scope = privateGlobal();
    const Go = loadGo(scope);
    const file = wasmPath();
    running = runWasm(Go, async (imports) => {
      const bytes = await fs.promises.readFile(file);
      return (await WebAssembly.instantiate(bytes, imports)).instance;
    }, scope);
    running.catch(() => { running = undefined; }); // a later connect tries again
  }
  return running;
}
