// src/node/broker.js: IpcBusBroker in Node starts the ipcbus hub as a child
// process (hub-process.js) and makes it this process's hub: clients that
// connect with no address join it, and child processes find it through
// IPCBUS_ADDR, set in process.env. That address is the one the hub prints:
// on TCP it carries the hub's token ("tcp:127.0.0.1:P?token=T"), so this
// process's clients and its children's find the token for that port
// (address.js, tokenFor). Its hub also has the WebSocket listener
// for renderers, on loopback with the hub's token, which IpcBusBridge hands
// out (bridge.js).
//   connect(port[, host][, options]) | connect(path[, options]) |
//   connect({port, host, path, timeoutDelay}) | connect()  (a Unix socket
//   in a private temp folder)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as ipcbusClient from '../client.js';
import { startHub, stopHub, unpacked } from './hub-process.js';
import { setLocalHub, getLocalHub, parseConnectArgs, parseAddress } from './address.js';
import { CreateIpcBusClient } from './clients.js';

/**
 * The hub this process runs, if any.
 * @type {{address: string, wsURL: string, child: import('node:child_process').ChildProcess, owners: Set<object>, tmpDir: string, origins: string[]} | null}
 */
let running = null;

export function runningHub() { return running; }

// serveArgs reads the broker's connect forms (address.js) into serve's
// flags: a Unix socket or a TCP listener; none for connect().
function serveArgs(args) {
  const { address, options } = parseConnectArgs(args);
  if (!address) return { unix: '', tcp: '', options };
  const { url } = parseAddress(address);
  if (url.startsWith('unix:')) return { unix: url.slice('unix:'.length), tcp: '', options };
  if (url.startsWith('tcp:')) return { unix: '', tcp: url.slice('tcp:'.length), options };
  throw new TypeError(`ipcbus: IpcBusBroker.connect(${JSON.stringify(address)}): the hub listens on a Unix socket or a TCP port`);
}

function timeoutOf(options) {
  return ipcbusClient.timeoutFor(options && options.timeoutDelay);
}

// ensureHub starts this process's hub, or returns the one running.
// origins are the browser origins its WebSocket listener allows beside
// its own (--allow-origin), when this call starts it.
export async function ensureHub(args, owner, origins) {
  if (running) {
    running.owners.add(owner);
    return running;
  }
  const { unix, tcp, options } = serveArgs(args);
  let tmpDir = '';
  let unixPath = unix;
  if (!unix && !tcp) {
    tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipcbus-'));
    unixPath = path.join(tmpDir, 'ipcbus.sock');
  }
  const flags = ['--unix', unixPath, '--tcp', tcp, '--ws', '127.0.0.1:0', '--web', unpacked(__dirname)];
  const allowed = [...new Set((origins || []).map((o) => String(o).toLowerCase()))];
  for (const o of allowed) flags.push('--allow-origin', o);
  let hub;
  try {
    hub = await startHub(flags, Math.max(timeoutOf(options), 5000));
  } catch (err) {
    if (tmpDir) fs.rmSync(tmpDir, { recursive: true, force: true });
    throw err;
  }
  if (running) { // another connect won the race
    await stopHub(hub.child, 2000);
    running.owners.add(owner);
    return running;
  }
  const address = hub.unix || hub.tcp;
  running = { address, wsURL: hub.ws, child: hub.child, owners: new Set([owner]), tmpDir, origins: allowed };
  const mine = running;
  hub.child.once('exit', () => {
    if (running === mine) forget(mine);
  });
  setLocalHub(address);
  process.env.IPCBUS_ADDR = address;
  return running;
}

function forget(hub) {
  running = null;
  if (getLocalHub() === hub.address) setLocalHub(undefined);
  if (process.env.IPCBUS_ADDR === hub.address) delete process.env.IPCBUS_ADDR;
  if (hub.tmpDir) fs.rmSync(hub.tmpDir, { recursive: true, force: true });
}

// releaseHub stops this process's hub once its last owner lets it go.
export async function releaseHub(owner, timeoutMs) {
  const hub = running;
  if (!hub || !hub.owners.delete(owner) || hub.owners.size > 0) return;
  forget(hub);
  await stopHub(hub.child, timeoutMs);
}

export class IpcBusBroker {
  static Create(options) { return new IpcBusBroker(options); }

  constructor(options) {
    this._options = options || {};
    /** @type {ReturnType<typeof CreateIpcBusClient> | null} */
    this._client = null;
    this._hub = null;
  }

  // pid is the hub process's, once connected.
  get pid() { return this._hub ? this._hub.child.pid : undefined; }

  // connect starts the hub and resolves with its address once it listens
  // (on TCP with its token: "tcp:127.0.0.1:P?token=T"). The options'
  // allowOrigins are the page origins its WebSocket listener allows (an
  // IpcBusBridge connected later cannot add any).
  async connect(...args) {
    if (this._hub && running === this._hub) return this._hub.address;
    this._hub = await ensureHub(args, this, this._options.allowOrigins);
    return this._hub.address;
  }

  // close stops the hub (once every broker and bridge of this process has
  // closed): its clients are disconnected.
  async close(options) {
    const client = this._client;
    this._client = null;
    if (client) await client.close(options);
    this._hub = null;
    await releaseHub(this, timeoutOf(options));
  }

  async _query(channel, ...args) {
    if (!this._hub || running !== this._hub) throw new Error('ipcbus: IpcBusBroker: not connected');
    if (!this._client) {
      this._client = CreateIpcBusClient({ peerName: 'ipcbus-broker' });
      await this._client.connect(this._hub.address);
    }
    const r = await this._client.request(channel, 0, ...args);
    return r.payload;
  }

  // queryState resolves with the hub's state: its connections, peers and
  // subscriptions.
  queryState() { return this._query(ipcbusClient.IPCBUS_CHANNEL_QUERY_STATE); }

  // isServiceAvailable resolves true when a service of that name is started
  // on the hub.
  async isServiceAvailable(serviceName) {
    return (await this._query(ipcbusClient.IPCBUS_CHANNEL_SERVICE_AVAILABLE, serviceName)) === true;
  }
}

export function CreateIpcBusBroker(options) { return new IpcBusBroker(options); }
