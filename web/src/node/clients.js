// src/node/clients.js: CreateIpcBusClient in Node: the same client API as
// in pages (src/client.js) over this process's link (link.js), with the
// process identity node (or main, in Electron's main process) and the real
// pid.
import * as ipcbusClient from '../client.js';
import { nodeLink, processIdentity } from './link.js';

/** @type {ReturnType<typeof ipcbusClient.createSession> | undefined} */
let session;

export function CreateIpcBusClient(options) {
  if (!session) session = ipcbusClient.createSession(nodeLink());
  return session.createClient({ ...(options || {}), process: processIdentity() });
}

export const IpcBusClient = { Create: CreateIpcBusClient };
