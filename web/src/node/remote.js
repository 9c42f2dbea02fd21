// src/node/remote.js: the hub another process started, as an IpcBusBridge
// in front of it sees it (the original's hybrid app). The bridge asks that
// hub for its WebSocket listener (queryState's listeners) and hands it to
// its renderers with the hub's token: the one its address carries or this
// process finds for it (tokenFor), or, for a Unix socket, the token file
// the hub keeps next to the socket (this user's own).
import { parseAddress, resolveAddress, readTokenFile } from './address.js';
import { CreateIpcBusClient } from './clients.js';
import * as ipcbusClient from '../client.js';

// remoteHub resolves with {address, wsURL, remote: true, origins: []} for
// the hub at address; it rejects when that hub cannot be reached or has no
// WebSocket listener.
export async function remoteHub(address, options) {
  const where = `IpcBusBridge.connect(${JSON.stringify(address)})`;
  const client = CreateIpcBusClient({ peerName: 'ipcbus-bridge' });
  let ws;
  try {
    await client.connect(address, { ...options, reconnect: false });
    const { payload } = await client.request(ipcbusClient.IPCBUS_CHANNEL_QUERY_STATE, 0);
    ws = payload && payload.listeners && payload.listeners.ws;
  } finally {
    await client.close();
  }
  if (!ws) throw new Error(`ipcbus: ${where}: the hub there has no WebSocket listener for renderers; start it with --ws 127.0.0.1:0 (an IpcBusBroker's hub has one)`);
  const token = tokenOf(address, options);
  if (!token) throw new Error(`ipcbus: ${where}: no token for the hub's WebSocket listener; give the address with its token (what IpcBusBroker.connect resolves with) or options.token`);
  const u = new URL(ws);
  u.searchParams.set('token', token);
  return { address, wsURL: u.href, remote: true, origins: [] };
}

// tokenOf is the hub's token as a client connecting to address would
// present it; for a Unix socket, the one in the token file next to it.
function tokenOf(address, options) {
  const a = parseAddress(address);
  if (a.listener) return resolveAddress(address, options).token;
  const f = readTokenFile(`${a.url.slice('unix:'.length)}.token`);
  return (options && options.token) || (f ? f.token : '');
}
