// src/page.js: the page-side shim. It defines window.ElectronCommonIPC in
// a page or a frame that has no preload of its own in its world, and makes
// it talk to the renderer's preload over a MessagePort:
//
//   - in the top page (the preload runs in an isolated world, Electron's
//     contextIsolation): it posts {ipcbus: 'hello', role: 'page', nonce} to
//     its own window; the preload answers with a port;
//   - in a frame: it posts the same, role 'frame', to window.parent; the
//     preload of the top page answers only a frame it granted (an origin of
//     its frameOrigins, or an iframe the page passed to grantFrame). A frame
//     nobody grants gets no port: connect fails after its timeoutDelay.
//
// When the preload runs in this very world (contextIsolation off) the
// shim does nothing: window.ElectronCommonIPC is the preload's, with the same
// API. So a page loads ipcbus-page.bundle.js (ipcbus-codec.js,
// ipcbus-client.js, the service API when built in, and this file) and is
// written once for every case.
//
// The page gets the API and a port, nothing else: the token, the socket and
// client.wasm stay in the preload's world.
import * as ipcbusClient from './client.js';
import * as ipcbusService from './service.js';
import { codedError } from './errors.js';
import * as codec from './codec.js';

(() => {
  if (globalThis.ElectronCommonIPC) return;
  const win = globalThis.window;
  if (!win || typeof MessageChannel === 'undefined') return;

  const isFrame = win.parent !== win;
  const upstream = isFrame ? win.parent : win;
  const GRANT_ATTR = 'data-ipcbus-grant';

  function randomHex(bytes) {
    const b = new Uint8Array(bytes);
    crypto.getRandomValues(b);
    return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  }

  // transferables lists what a batch of ops can hand over: the ports of a
  // postMessage, and the buffers the codec made for it alone.
  function transferables(batch) {
    const list = [];
    const own = (a) => {
      if (a instanceof Uint8Array && a.byteOffset === 0 && a.byteLength === a.buffer.byteLength) list.push(a.buffer);
    };
    for (const m of batch) {
      if (Array.isArray(m.ports)) list.push(...m.ports);
      if (Array.isArray(m.args)) m.args.forEach(own);
      own(m.message);
      own(m.value);
    }
    return list;
  }

  // portLink is ipcbus-client.js's link over the port the preload sends. Ops
  // wait in a queue until the port comes, and go out in one message per
  // microtask.
  function portLink() {
    const nonce = randomHex(16);
    let port = null;
    let queue = [];
    let scheduled = false;
    let onBatch = (/** @type {any[]} */ _batch) => {};
    let resolveReady;
    let rejectReady;
    const link = {
      ready: new Promise((resolve, reject) => { resolveReady = resolve; rejectReady = reject; }),
      readyTimeout: true,
      notReadyReason: isFrame
        ? 'this frame was not granted (the preload\'s frame origins, or ElectronCommonIPC.grantFrame(iframe) in the parent page)'
        : 'no ipcbus preload answered in this window',
      start(fn) { onBatch = fn; },
      post(msg) {
        queue.push(codec.ownArgs(msg)); // posted in a microtask
        if (!scheduled) {
          scheduled = true;
          queueMicrotask(flush);
        }
        return undefined;
      },
    };
    link.ready.catch(() => {});

    function flush() {
      scheduled = false;
      if (!port || queue.length === 0) return;
      const batch = queue;
      queue = [];
      try {
        port.postMessage(batch, transferables(batch));
      } catch (err) {
        console.error('ipcbus: posting to the preload:', err);
      }
    }

    function onPort(e) {
      const d = e.data;
      if (e.source !== upstream || !d || d.ipcbus !== 'port' || d.nonce !== nonce || !e.ports || !e.ports[0]) return;
      win.removeEventListener('message', onPort);
      port = e.ports[0];
      port.onmessage = (ev) => {
        const m = ev.data;
        if (Array.isArray(m)) {
          onBatch(m);
        } else if (m && m.ctl === 'ping') {
          port.postMessage([{ op: 'pong' }]);
        } else if (m && m.ctl === 'ready') {
          if (m.error) {
            rejectReady(codedError(m.error.message, m.error.code));
          } else {
            resolveReady();
          }
        }
      };
      flush();
    }

    win.addEventListener('message', onPort);
    if (isFrame) {
      // The document goes away (navigation, removal): its peers leave now.
      win.addEventListener('pagehide', () => {
        if (port) port.postMessage([{ op: 'bye' }]);
      });
    }
    upstream.postMessage({ ipcbus: 'hello', role: isFrame ? 'frame' : 'page', nonce }, '*');
    return link;
  }

  const link = portLink();
  const session = ipcbusClient.createSession(link);

  const api = {
    IPCBUS_CHANNEL_QUERY_STATE: ipcbusClient.IPCBUS_CHANNEL_QUERY_STATE,
    IPCBUS_CHANNEL_SERVICE_AVAILABLE: ipcbusClient.IPCBUS_CHANNEL_SERVICE_AVAILABLE,
    // CreateIpcBusClient returns a client; the clients of this page (or
    // frame) are peers of the renderer's one connection.
    CreateIpcBusClient(options) {
      const o = { ...(options || {}) };
      delete o.process; // the preload says who this page is
      return session.createClient(o);
    },
    // grantFrame lets iframe (an element of this document) have a port: the
    // documents it loads become peers of type renderer-frame.
    grantFrame(iframe) {
      if (!iframe || (iframe.tagName !== 'IFRAME' && iframe.tagName !== 'FRAME')) {
        return Promise.reject(new TypeError('ipcbus: grantFrame takes an iframe element'));
      }
      if (isFrame) return Promise.reject(new Error('ipcbus: only the top page grants frames'));
      const token = randomHex(16);
      iframe.setAttribute(GRANT_ATTR, token);
      return session.call({ op: 'grantFrame', token }).then((m) => {
        if (m.error) {
          iframe.removeAttribute(GRANT_ATTR);
          throw codedError(m.error.message, m.error.code);
        }
      });
    },
    // ready resolves once the preload has answered and client.wasm runs.
    ready: link.ready,
    // frame is true in a frame, false in the top page.
    frame: isFrame,
  };
  // services and proxies (src/service.js): the same exports as the
  // preload's API, working over this page's client
  Object.assign(api, ipcbusService);
  Object.assign(api, {
    IpcBusClient: { Create: api.CreateIpcBusClient },
    ActivateIpcBusTrace: ipcbusClient.ActivateIpcBusTrace,
    IsElectronCommonIpcAvailable: () => true,
  });
  Object.freeze(api);
  // electron-common-ipc 16 calls it ElectronCommonIpc
  for (const name of ['ElectronCommonIPC', 'ElectronCommonIpc']) {
    Object.defineProperty(globalThis, name, { value: api, enumerable: true });
  }
})();
