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
//      webPreferences.additionalArguments passes them:
//      --ipcbus-url=ws://HOST:PORT/ws --ipcbus-token=T [--ipcbus-wcid=N]
//      [--ipcbus-rid=N] [--ipcbus-pid=N] [--ipcbus-name=NAME] [--ipcbus-wasm=URL]
//      [--ipcbus-frames=ORIGIN,ORIGIN...]
//   3. a config object set before the preload runs:
//      globalThis.IPCBUS_CONFIG = {url, token, wasm, name, process: {wcid, rid, pid},
//        frames: [origin, ...], portCloseEvent, pingMillis}
// frames (never read from the page's URL) lists the origins of the frames
// that get a port without grantFrame: "null" for sandboxed frames, "*" for
// any. portCloseEvent: false makes the host ignore MessagePort's close event
// and watch frames by pings (pingMillis apart, default 1000) as it does
// where Chromium has no such event.
// client.wasm is fetched from the hub (http://HOST:PORT/client.wasm) unless
// wasm names another URL.
import * as ipcbusClient from './client.js';
import * as ipcbusService from './service.js';
import * as ipcbusHost from './host.js';
import { runWasm, startEngine } from './engine.js';
import loadGo from 'ipcbus:wasm_exec';

/** @type {any} the API installed, with or without a configuration error */
let installed = null;

// PreloadElectronCommonIpc(config?) installs window.ElectronCommonIPC (and
// window.ElectronCommonIpc, electron-common-ipc 16's name) in this world:
// what the bundle does when it loads, and what an app's own preload calls,
// with IPCBUS_CONFIG's fields, once it has its configuration. It returns
// true once the API is installed with a configuration; calling it again
// then does nothing. It returns false in a subframe (the top page's
// preload serves frames) or when no configuration was found (the API is
// then installed with its error, and a later call may replace it).
function PreloadElectronCommonIpc(given) {
  if (installed && !installed.error) return true;
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
    const argv = globalThis.process && Array.isArray(globalThis.process.argv) ? globalThis.process.argv : [];
    const c = {};
    for (const a of argv) {
      const m = /^--ipcbus-([a-z]+)=(.*)$/.exec(String(a));
      if (m && keys.includes(m[1])) c[m[1]] = m[2];
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

  function readConfig() {
    const c = { ...fromLocation(), ...fromArgv(), ...fromObject(globalThis.IPCBUS_CONFIG), ...fromObject(given) };
    if (!c.url) throw new Error('ipcbus: no hub URL (ipcbus-url in the page URL, --ipcbus-url= in the preload arguments, or IPCBUS_CONFIG.url)');
    const ws = new URL(c.url);
    ws.searchParams.delete('token');
    const wsURL = new URL(ws);
    if (c.token) wsURL.searchParams.set('token', c.token);
    const http = new URL(ws);
    http.protocol = ws.protocol === 'wss:' ? 'https:' : 'http:';
    const process = { type: 'renderer', isMainFrame: true };
    const own = globalThis.process && globalThis.process.pid; // Electron's renderer pid
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

  async function instantiate(url, imports) {
    const resp = await fetch(url);
    if (!resp.ok) throw new Error(`ipcbus: fetching ${url}: HTTP ${resp.status}`);
    if (WebAssembly.instantiateStreaming && /wasm/.test(resp.headers.get('Content-Type') || '')) {
      return (await WebAssembly.instantiateStreaming(resp, imports)).instance;
    }
    return (await WebAssembly.instantiate(await resp.arrayBuffer(), imports)).instance;
  }

  // startPreloadEngine runs client.wasm and returns a direct link to the
  // renderer's engine.
  function startPreloadEngine(config) {
    const Go = loadGo(globalThis);
    const wasm = runWasm(Go, (imports) => instantiate(config.wasm, imports), globalThis);
    return startEngine(wasm, { url: config.wsURL, token: config.token, process: config.process });
  }

  let config;
  /** @type {any} */
  let link;
  let failure;
  try {
    config = readConfig();
    link = startPreloadEngine(config);
  } catch (err) {
    failure = err;
    link = { ready: Promise.reject(err), start() {}, post() { return { code: 'not-ready', message: String(err) }; } };
  }
  link.ready.catch((err) => console.error('ipcbus:', err));
  const host = new ipcbusHost.Host(link, {
    process: config ? config.process : { type: 'renderer', isMainFrame: true },
    name: config ? config.name : '',
    frameOrigins: config ? config.frames : [],
    closeEvent: config ? config.portCloseEvent : undefined,
    pingMillis: config ? config.pingMillis : 0,
  });
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
    // the hub's WebSocket URL, without the token
    hubURL: config ? config.url : undefined,
  };
  // services and proxies (src/service.js)
  Object.assign(api, ipcbusService);
  Object.assign(api, {
    IpcBusClient: { Create: api.CreateIpcBusClient },
    ActivateIpcBusTrace: ipcbusClient.ActivateIpcBusTrace,
    IsElectronCommonIpcAvailable,
    PreloadElectronCommonIpc,
  });
  if (failure) api.error = failure;
  return Object.freeze(api);
}

PreloadElectronCommonIpc();

// An app's preload that bundles this file (require or import of
// 'ipcbus/preload') gets the functions too.
if (typeof module === 'object' && module && module.exports) {
  module.exports = { PreloadElectronCommonIpc, IsElectronCommonIpcAvailable };
}
