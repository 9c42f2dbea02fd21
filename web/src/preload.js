// src/preload.js: loads client.wasm and defines window.ElectronCommonIPC.
//
// The entry of ipcbus-preload.bundle.js (build.mjs bundles it with
// wasm_exec.js, the codec, the client and service APIs, the engine glue and
// the host into one classic script, which is what an Electron preload or a
// page loads). The host (src/host.js) also answers, over MessagePorts, the page when this
// preload runs in an isolated world (the page loads ipcbus-page.bundle.js)
// and the frames it grants: they all share the renderer's one connection.
// In a subframe it does nothing: frames go through the top page's preload.
// Configuration, later sources winning:
//   1. the page's URL: ?ipcbus-url=ws://HOST:PORT/ws&ipcbus-token=T (or in
//      the #fragment); a page the hub serves itself needs only the token
//   2. the preload's arguments, process.argv, as Electron's
//      webPreferences.additionalArguments passes them (IpcBusBridge's
//      additionalArguments): --ipcbus-url=ws://HOST:PORT/ws [--ipcbus-wcid=N]
//      [--ipcbus-rid=N] [--ipcbus-pid=N] [--ipcbus-name=NAME] [--ipcbus-wasm=URL]
//      [--ipcbus-frames=ORIGIN,ORIGIN...]. Never the token: a command line
//      is readable by every local process (--ipcbus-token= is ignored)
//   3. Electron's main process: ipcRenderer.invoke('ipcbus:preload-config'),
//      which IpcBusBridge answers (src/node/bridge.js) for the pages it
//      allows, with the hub URL, the token and the renderer's identity
//   4. a config object set before the preload runs:
//      globalThis.IPCBUS_CONFIG = {url, token, wasm, name, process: {wcid, rid, pid},
//        frames: [origin, ...], portCloseEvent, pingMillis}
// In a sandboxed Electron preload (Electron's default) process and require
// are not globals but parameters of the function Electron wraps the
// preload in; this script reads them as free names, so it finds them there,
// as Node's globals in an unsandboxed preload, or not at all in a page.
// frames (never read from the page's URL) lists the origins of the frames
// that get a port without grantFrame: "null" for sandboxed frames, "*" for
// any. portCloseEvent: false makes the host ignore MessagePort's close event
// and watch frames by pings (pingMillis apart, default 1000) as it does
// where Chromium has no such event.
// client.wasm is fetched from the hub (http://HOST:PORT/client.wasm) unless
// wasm names another URL; a fetch that fails (the hub not listening yet)
// is retried with backoff for about 3 s (6 tries).
import * as ipcbusClient from './client.js';
import * as ipcbusService from './service.js';
import * as ipcbusHost from './host.js';
import { runWasm, startEngine } from './engine.js';
import loadGo from 'ipcbus:wasm_exec';
// the channel of ipcRenderer.invoke that IpcBusBridge answers
import { PRELOAD_CHANNEL as CONFIG_CHANNEL } from './node/preload-config.js';

// The preload's process and require('electron'): parameters of Electron's
// sandboxed wrapper, Node's in an unsandboxed preload, none in a page. Read
// before wasm_exec.js installs its stub globalThis.process (pid -1).
/* global process, require */
const preloadProcess = typeof process === 'object' && process && process.pid !== -1 ? process : undefined;
const electron = (() => {
  try {
    const req = typeof require === 'function' ? require : undefined;
    return req ? req('electron') : undefined;
  } catch {
    return undefined;
  }
})();

// setWorldCSP gives the isolated world of the preload (Electron's world
// 999) a policy of its own that allows what the preload does: fetch and
// compile client.wasm, open its WebSocket. Chromium applies it to the
// documents this frame loads next (it caches a document's policy), so the
// page's own policy must allow them too (docs/electron.md).
function setWorldCSP(hub) {
  const wf = electron && electron.webFrame;
  const loc = globalThis.location;
  if (!wf || typeof wf.setIsolatedWorldInfo !== 'function' || !loc || !loc.origin || loc.origin === 'null') return;
  if (!preloadProcess || /** @type {any} */ (preloadProcess).contextIsolated === false) return;
  const http = new URL(hub);
  http.protocol = http.protocol === 'wss:' ? 'https:' : 'http:';
  try {
    wf.setIsolatedWorldInfo(999, {
      securityOrigin: loc.origin,
      csp: `default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; connect-src 'self' ${http.origin} ${hub.replace(/\/ws.*$/, '')}`,
      name: 'ipcbus preload',
    });
  } catch (err) {
    console.warn('ipcbus: webFrame.setIsolatedWorldInfo:', err && err.message);
  }
}

/** @type {any} the API installed, with or without a configuration error */
let installed = null;

// PreloadElectronCommonIpc(config?) installs window.ElectronCommonIPC (and
// window.ElectronCommonIpc, electron-common-ipc 16's name) in this world:
// what the bundle does when it loads, and what an app's own preload calls,
// with IPCBUS_CONFIG's fields, once it has its configuration. It returns
// true once the API is installed with a configuration; calling it again
// then does nothing (but while the preload waits for the main process, a
// configuration given adds to what it answers). It returns false in a subframe (the top page's
// preload serves frames) or when no configuration was found (the API is
// then installed with its error, and a later call may replace it).
// Called with a configuration while the first call still waits for the
// main process's answer, it adds to that one (lateConfigs).
/** @type {any[]} */
const lateConfigs = [];
function PreloadElectronCommonIpc(given) {
  if (installed && !installed.error) {
    if (given && !installed.hubURL) lateConfigs.push(given);
    return true;
  }
  if (typeof window !== 'undefined' && window.top !== window) return false;
  installed = install(given);
  for (const name of ['ElectronCommonIPC', 'ElectronCommonIpc']) {
    Object.defineProperty(globalThis, name, { value: installed, enumerable: true, configurable: true });
  }
  return !installed.error;
}

// IsElectronCommonIpcAvailable tells whether this world has the API.
function IsElectronCommonIpcAvailable() {
  return !!globalThis.ElectronCommonIPC && !globalThis.ElectronCommonIPC.error;
}

function install(given) {
  const keys = ['url', 'token', 'wasm', 'name', 'wcid', 'rid', 'pid'];

  function fromParams(params) {
    const c = {};
    for (const k of keys) {
      const v = params.get(`ipcbus-${k}`);
      if (v !== null) c[k] = v;
    }
    return c;
  }

  function fromLocation() {
    const loc = globalThis.location;
    if (!loc || !loc.href) return {};
    const c = fromParams(new URLSearchParams(loc.search));
    Object.assign(c, fromParams(new URLSearchParams(loc.hash.replace(/^#/, ''))));
    if (!c.url && (loc.protocol === 'http:' || loc.protocol === 'https:')) {
      c.url = `${loc.protocol === 'https:' ? 'wss' : 'ws'}://${loc.host}/ws`;
    }
    return c;
  }

  function fromArgv() {
    const argv = preloadProcess && Array.isArray(preloadProcess.argv) ? preloadProcess.argv : [];
    const c = {};
    for (const a of argv) {
      const m = /^--ipcbus-([a-z]+)=(.*)$/.exec(String(a));
      if (m && keys.includes(m[1]) && m[1] !== 'token') c[m[1]] = m[2];
      if (m && m[1] === 'frames') c.frames = m[2];
    }
    return c;
  }

  function fromObject(o) {
    if (!o || typeof o !== 'object') return {};
    const c = { ...o, ...(o.process || {}) };
    delete c.process;
    return c;
  }

  // askMain asks Electron's main process for the configuration; {} when
  // there is no ipcRenderer or no answer (mainError says why).
  let mainError = null;
  async function askMain() {
    const r = electron && electron.ipcRenderer;
    if (!r || typeof r.invoke !== 'function') return {};
    try {
      return fromObject(await r.invoke(CONFIG_CHANNEL));
    } catch (err) {
      mainError = err;
      return {};
    }
  }

  function readConfig(main) {
    const c = { ...fromLocation(), ...fromArgv(), ...main, ...fromObject(globalThis.IPCBUS_CONFIG), ...fromObject(given) };
    for (const late of lateConfigs) Object.assign(c, fromObject(late));
    if (!c.url) {
      throw new Error('ipcbus: no hub URL (from the main process over ipcRenderer.invoke, as IpcBusBridge answers it, ' +
        'ipcbus-url in the page URL, --ipcbus-url= in the preload arguments, or IPCBUS_CONFIG.url)' +
        (mainError ? `; the main process answered: ${mainError.message || mainError}` : ''));
    }
    const ws = new URL(c.url);
    ws.searchParams.delete('token');
    const wsURL = new URL(ws);
    if (c.token) wsURL.searchParams.set('token', c.token);
    const http = new URL(ws);
    http.protocol = ws.protocol === 'wss:' ? 'https:' : 'http:';
    const process = { type: 'renderer', isMainFrame: true };
    const own = preloadProcess && preloadProcess.pid; // Electron's renderer pid
    if (c.pid === undefined && Number.isInteger(own) && own > 0) c.pid = own;
    for (const k of ['pid', 'wcid', 'rid']) {
      const n = Number(c[k]);
      if (Number.isInteger(n) && n > 0) process[k] = n;
    }
    return {
      url: ws.href,
      wsURL: wsURL.href,
      token: c.token || '',
      wasm: c.wasm || new URL('/client.wasm', http).href,
      name: c.name || '',
      process,
      frames: (Array.isArray(c.frames) ? c.frames : String(c.frames || '').split(',')).map((o) => String(o).trim()).filter(Boolean),
      portCloseEvent: c.portCloseEvent,
      pingMillis: Number(c.pingMillis) || 0,
    };
  }

  // fetchWasm fetches client.wasm, retrying a fetch that fails or a 503 (a
  // window may load before its hub listens): 100 ms, then twice as long,
  // 6 tries in all.
  async function fetchWasm(url) {
    for (let attempt = 1, wait = 100; ; attempt++, wait *= 2) {
      let resp;
      try {
        resp = await fetch(url);
      } catch (err) {
        if (attempt >= 6) {
          throw new Error(`ipcbus: fetching ${url}: ${err && err.message} (is the hub listening? does the page's Content-Security-Policy list it in connect-src? see docs/electron.md)`);
        }
      }
      if (resp && resp.status !== 503) return resp;
      if (resp && attempt >= 6) return resp;
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }

  async function instantiate(url, imports) {
    const resp = await fetchWasm(url);
    if (!resp.ok) throw new Error(`ipcbus: fetching ${url}: HTTP ${resp.status}`);
    try {
      if (WebAssembly.instantiateStreaming && /wasm/.test(resp.headers.get('Content-Type') || '')) {
        return (await WebAssembly.instantiateStreaming(resp, imports)).instance;
      }
      return (await WebAssembly.instantiate(await resp.arrayBuffer(), imports)).instance;
    } catch (err) {
      if (!(err instanceof WebAssembly.CompileError) || !/disallowed/i.test(err.message)) throw err;
      throw new Error(`ipcbus: compiling client.wasm: ${err.message} (the page's Content-Security-Policy needs 'wasm-unsafe-eval' in script-src; see docs/electron.md)`);
    }
  }

  // startPreloadEngine runs client.wasm and returns a direct link to the
  // renderer's engine.
  function startPreloadEngine(config) {
    const Go = loadGo(globalThis);
    const wasm = runWasm(Go, (imports) => instantiate(config.wasm, imports), globalThis);
    return startEngine(wasm, { url: config.wsURL, token: config.token, process: config.process });
  }

  // The configuration comes at once, or from the main process: until then
  // the host holds the page's and the frames' hellos, and the link is not
  // ready (sessions wait for it).
  const hasMain = !!(electron && electron.ipcRenderer && typeof electron.ipcRenderer.invoke === 'function');
  /** @type {any} */
  let config;
  let failure;
  /** @type {any} */
  let engine = null;
  let onBatch = (/** @type {any[]} */ _batch) => {};
  let resolveReady = (/** @type {any} */ _v) => {};
  let rejectReady = (/** @type {any} */ _e) => {};
  const link = {
    ready: new Promise((resolve, reject) => { resolveReady = resolve; rejectReady = reject; }),
    start(fn) {
      onBatch = fn;
      if (engine) engine.start(fn);
    },
    post(msg) {
      return engine ? engine.post(msg) : { code: 'not-ready', message: 'ipcbus: client.wasm is not loaded yet' };
    },
    get loadMillis() { return engine ? engine.loadMillis : 0; },
  };
  const host = new ipcbusHost.Host(link, { process: { type: 'renderer', isMainFrame: true } });
  host.hold();
  const configure = (c) => {
    config = c;
    host.configure({
      process: config.process,
      name: config.name,
      frameOrigins: config.frames,
      closeEvent: config.portCloseEvent,
      pingMillis: config.pingMillis,
    });
    setWorldCSP(config.url);
    engine = startPreloadEngine(config);
    engine.start(onBatch);
    engine.ready.then(resolveReady, rejectReady);
  };
  const fail = (err) => {
    failure = err;
    host.configure({ process: { type: 'renderer', isMainFrame: true } });
    rejectReady(err);
  };
  if (hasMain) {
    askMain().then((main) => configure(readConfig(main))).catch(fail);
  } else {
    try {
      configure(readConfig({}));
    } catch (err) {
      fail(err);
    }
  }
  link.ready.catch((err) => console.error('ipcbus:', err));
  if (typeof window !== 'undefined') host.listen(window);
  const session = ipcbusClient.createSession(host.localLink());

  const api = {
    IPCBUS_CHANNEL_QUERY_STATE: ipcbusClient.IPCBUS_CHANNEL_QUERY_STATE,
    IPCBUS_CHANNEL_SERVICE_AVAILABLE: ipcbusClient.IPCBUS_CHANNEL_SERVICE_AVAILABLE,
    // CreateIpcBusClient returns a client; several share the renderer's one
    // connection, each a peer of its own.
    CreateIpcBusClient(options) {
      const o = { ...(options || {}) };
      o.peerName = o.peerName || config && config.name;
      o.process = config ? { ...config.process } : { type: 'renderer', isMainFrame: true }; // the host gives it anyway
      return session.createClient(o);
    },
    // grantFrame lets iframe (an element of this document) have a port: the
    // documents it loads become peers of type renderer-frame on this
    // renderer's connection.
    grantFrame(iframe) {
      try {
        host.grant(iframe);
        return Promise.resolve();
      } catch (err) {
        return Promise.reject(err);
      }
    },
    // ready resolves once client.wasm runs (connect waits for it anyway).
    ready: link.ready,
    // loadMillis is how long fetching and starting client.wasm took.
    get loadMillis() { return link.loadMillis; },
    // the hub's WebSocket URL, without the token, once configured
    get hubURL() { return config ? config.url : undefined; },
    // error: why the preload has no configuration or no engine
    get error() { return failure; },
  };
  // services and proxies (src/service.js)
  Object.assign(api, ipcbusService);
  Object.assign(api, {
    IpcBusClient: { Create: api.CreateIpcBusClient },
    ActivateIpcBusTrace: ipcbusClient.ActivateIpcBusTrace,
    IsElectronCommonIpcAvailable,
    PreloadElectronCommonIpc,
  });
  return Object.freeze(api);
}

PreloadElectronCommonIpc();

// An app's preload that bundles this file (require or import of
// 'ipcbus/preload') gets the functions too.
if (typeof module === 'object' && module && module.exports) {
  module.exports = { PreloadElectronCommonIpc, IsElectronCommonIpcAvailable };
}
