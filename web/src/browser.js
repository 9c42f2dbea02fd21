// src/browser.js: the package's renderer entry (`import ... from 'ipcbus'`
// in a bundled renderer, a page or a frame). It runs the page shim
// (src/page.js), which finds the preload of its window (or the top page's,
// in a frame), and exports window.ElectronCommonIPC's API by name. Where the
// preload runs in this very world, the API is the preload's.
import './page.js';

function api() {
  const a = globalThis.ElectronCommonIPC;
  if (!a) throw new Error("ipcbus: no ElectronCommonIPC here: this entry runs in a renderer's page or frame (a window with MessageChannel); in Node, require('ipcbus') picks the Node entry");
  return a;
}

export function CreateIpcBusClient(options) { return api().CreateIpcBusClient(options); }
export const IpcBusClient = { Create: CreateIpcBusClient };
export function CreateIpcBusService(client, name, impl, options) { return api().CreateIpcBusService(client, name, impl, options); }
export function CreateIpcBusServiceProxy(client, name, options) { return api().CreateIpcBusServiceProxy(client, name, options); }
export function IsElectronCommonIpcAvailable() { return !!globalThis.ElectronCommonIPC; }
export function ActivateIpcBusTrace(on) { api().ActivateIpcBusTrace(on); }
