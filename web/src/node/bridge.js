// src/node/bridge.js: IpcBusBridge in Node (Electron's main process): the
// WebSocket listener renderers connect to, with what their preloads need
// (config: the hub URL and its token). It is the listener of this
// process's hub: the broker's when one runs, else a hub the bridge starts
// for itself (the original's Electron app: a bridge, no broker), which then
// is this process's hub as a broker's would be.
// A bridge given the address of a hub another process started (the
// original's hybrid app: a broker in a Node process, the bridge in
// Electron's main process) hands its renderers that hub's own WebSocket
// listener (remote.js).
import { ensureHub, releaseHub, runningHub } from './broker.js';
import { parseConnectArgs, parseAddress } from './address.js';
import { remoteHub } from './remote.js';
import * as ipcbusClient from '../client.js';
import { PRELOAD_CHANNEL, preloadConfigHandler, preloadArguments, pageOrigins } from './preload-config.js';

// electronIpcMain is Electron's ipcMain in Electron's main process, else
// undefined.
function electronIpcMain() {
  if (!process.versions.electron || /** @type {any} */ (process).type !== 'browser') return undefined;
  try {
    const electron = 'electron';
    return require(electron).ipcMain;
  } catch {
    return undefined;
  }
}

export class IpcBusBridge {
  static Create(options) { return new IpcBusBridge(options); }

  // options: {allowedPages, frames, name, ipcMain}. allowedPages: the
  // pages whose preload gets the configuration (origins such as
  // "app://myapp" or "file://", RegExps of the URL, functions of it;
  // default ["file://"]; the origins among them are the ones the hub's
  // WebSocket listener allows, when the bridge starts it); frames: the
  // origins of the frames the preloads
  // grant (--ipcbus-frames); ipcMain: Electron's, found by itself in
  // Electron's main process.
  constructor(options) {
    this._options = options || {};
    this._hub = null;
    this._ipcMain = null;
    this._handler = preloadConfigHandler(() => this.config, this._options);
  }

  // handlePreload is what ipcMain.handle(PRELOAD_CHANNEL) runs for a
  // preload asking for its configuration (src/node/preload-config.js).
  handlePreload(event) { return this._handler(event); }

  // additionalArguments, for webPreferences.additionalArguments, is the
  // fallback of preloads that cannot ask the main process: the hub URL and
  // the frame origins. Never the token, which the preload gets over IPC.
  get additionalArguments() { return preloadArguments(() => this.config, this._options); }

  // connect resolves once the WebSocket listener is up.
  async connect(...args) {
    if (this._hub && runningHub() === this._hub) return;
    const hub = runningHub();
    const { address } = parseConnectArgs(args);
    if (hub && address && parseAddress(address).url !== parseAddress(hub.address).url) {
      throw new Error(`ipcbus: IpcBusBridge.connect(${JSON.stringify(args[0])}): this process's hub is at ${parseAddress(hub.address).url}; a bridge in front of another hub is not supported yet`);
    }
    const origins = pageOrigins(this._options.allowedPages);
    if (!hub && address) {
      this._hub = await remoteHub(address, parseConnectArgs(args).options);
    } else {
      this._hub = await ensureHub(hub ? [] : args, this, origins);
      const missing = origins.filter((o) => !this._hub.origins.includes(o));
      if (missing.length > 0 && this._options.allowedPages !== undefined) {
        console.warn(`ipcbus: IpcBusBridge: this process's hub (its IpcBusBroker's) does not allow the origins ${missing.join(', ')}: their pages cannot connect; give the broker allowOrigins`);
      }
    }
    const ipcMain = this._options.ipcMain || electronIpcMain();
    if (ipcMain && !this._ipcMain) {
      ipcMain.removeHandler(PRELOAD_CHANNEL);
      ipcMain.handle(PRELOAD_CHANNEL, (event) => this.handlePreload(event));
      this._ipcMain = ipcMain;
    }
  }

  async close(options) {
    const hub = this._hub;
    this._hub = null;
    if (this._ipcMain) {
      this._ipcMain.removeHandler(PRELOAD_CHANNEL);
      this._ipcMain = null;
    }
    if (hub && 'remote' in hub) return; // another process's hub: not ours to stop
    await releaseHub(this, ipcbusClient.timeoutFor(options && options.timeoutDelay));
  }

  // config is what a renderer's preload needs: the hub's WebSocket URL and
  // its token (IPCBUS_CONFIG in the preload, or its arguments).
  get config() {
    if (!this._hub) return undefined;
    const { url, token } = parseAddress(this._hub.wsURL);
    return { url, token };
  }
}

export function CreateIpcBusBridge(options) { return new IpcBusBridge(options); }
