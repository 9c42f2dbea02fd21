// src/node/address.js: where a Node client connects, from electron-common-ipc's
// connect forms:
//   connect()                          this process's broker, else $IPCBUS_ADDR,
//                                      else the default Unix socket
//   connect(options)                   {port, host, path, peerName, timeoutDelay, token}
//   connect(port[, host][, options])   TCP (host: 127.0.0.1)
//   connect(path[, options])           a Unix socket; also "unix:PATH",
//                                      "tcp:HOST:PORT", "HOST:PORT", a port as a
//                                      string, or a ws:// URL (the ws package)
// The token goes in hello: options.token, else ?token= in the address,
// else $IPCBUS_TOKEN. (A token file beside the socket is the hub's to
// define; tokenFor is where it will be read.)
import os from 'node:os';
import path from 'node:path';

export const DEFAULT_TCP_HOST = '127.0.0.1';

/** @type {string | undefined} the address of a hub this process started (broker.js) */
let localHub;

export function setLocalHub(addr) { localHub = addr; }
export function getLocalHub() { return localHub; }

// defaultUnixPath is nativeclient.DefaultUnixPath.
export function defaultUnixPath() {
  const dir = process.env.XDG_RUNTIME_DIR;
  if (dir) return path.join(dir, 'ipcbus.sock');
  const uid = typeof process.getuid === 'function' ? process.getuid() : 0;
  return path.join(os.tmpdir(), `ipcbus-${uid}`, 'ipcbus.sock');
}

function isOptions(v) { return v !== null && typeof v === 'object' && !Array.isArray(v); }

// parseConnectArgs splits connect's arguments into an address (a string as
// parseAddress takes it, or '' for the default) and the options.
export function parseConnectArgs(args) {
  const [a, b, c] = args;
  if (a === undefined || a === null) return { address: '', options: isOptions(b) ? b : {} };
  if (typeof a === 'number') {
    if (typeof b === 'string') return { address: hostPort(b, a), options: isOptions(c) ? c : {} };
    return { address: hostPort(DEFAULT_TCP_HOST, a), options: isOptions(b) ? b : {} };
  }
  if (typeof a === 'string') {
    if (typeof b === 'string' && /^\d+$/.test(a)) return { address: hostPort(b, Number(a)), options: isOptions(c) ? c : {} };
    return { address: a, options: isOptions(b) ? b : {} };
  }
  if (isOptions(a)) {
    let address = '';
    if (a.path) address = `unix:${a.path}`;
    else if (a.port !== undefined && a.port !== null) address = hostPort(a.host || DEFAULT_TCP_HOST, Number(a.port));
    return { address, options: a };
  }
  throw new TypeError(`ipcbus: connect: cannot make an address of ${typeof a}`);
}

function hostPort(host, port) {
  if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new RangeError(`ipcbus: connect: bad port ${port}`);
  return `tcp:${host.includes(':') ? `[${host}]` : host}:${port}`;
}

// resolveAddress turns an address (or '' for the default) into the engine's
// {url, token}: url is "unix:PATH", "tcp:HOST:PORT" or a ws:// URL with
// its token query. It throws a TypeError on an address it cannot read.
export function resolveAddress(address, options) {
  let s = address || localHub || process.env.IPCBUS_ADDR || '';
  if (!s) s = `unix:${defaultUnixPath()}`;
  let token = '';
  if (/^wss?:\/\//.test(s)) {
    const u = new URL(s);
    token = (options && options.token) || u.searchParams.get('token') || process.env.IPCBUS_TOKEN || '';
    if (token) u.searchParams.set('token', token);
    return { url: u.href, token };
  }
  const q = s.indexOf('?');
  if (q >= 0) {
    token = new URLSearchParams(s.slice(q + 1)).get('token') || '';
    s = s.slice(0, q);
  }
  token = (options && options.token) || token || process.env.IPCBUS_TOKEN || '';
  let url;
  if (s.startsWith('unix:')) url = s;
  else if (s.startsWith('tcp:')) url = s;
  else if (/^\d+$/.test(s)) url = hostPort(DEFAULT_TCP_HOST, Number(s));
  else if (/^[^/\\]*:\d+$/.test(s)) url = `tcp:${s}`;
  else url = `unix:${s}`;
  if (url.startsWith('unix:') && url.length === 5) throw new TypeError('ipcbus: connect: empty socket path');
  return { url, token: tokenFor(url, token) };
}

// tokenFor returns the token to present to the hub at url.
function tokenFor(url, token) {
  return token;
}
