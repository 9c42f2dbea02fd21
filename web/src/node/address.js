// src/node/address.js: where a Node client connects, from electron-common-ipc's
// connect forms:
//   connect()                          this process's broker, else $IPCBUS_ADDR,
//                                      else the default Unix socket
//   connect(options)                   {port, host, path, peerName, timeoutDelay, token}
//   connect(port[, host][, options])   TCP (host: 127.0.0.1)
//   connect(path[, options])           a Unix socket; also "unix:PATH",
//                                      "tcp:HOST:PORT", "HOST:PORT", a port as a
//                                      string, or a ws:// URL (the ws package)
// TCP forms may end in "?token=T", as the hub prints them. The token, for
// TCP and WebSocket listeners only (on a Unix socket the hub knows its peer
// from the kernel), is found as the Go clients find it (nativeclient/token.go):
// see tokenFor.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const DEFAULT_TCP_HOST = '127.0.0.1';

/** @type {string | undefined} the address of a hub this process started (broker.js), its token included */
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

// defaultTokenPath is nativeclient.DefaultTokenPath: the token file of a
// hub on the default socket.
export function defaultTokenPath() { return `${defaultUnixPath()}.token`; }

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
  return `tcp:${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${port}`;
}

// tcpTarget reads "HOST:PORT", ":PORT" or "PORT", then "?token=T".
function tcpTarget(s) {
  const q = s.indexOf('?');
  let token = '';
  if (q >= 0) {
    const query = new URLSearchParams(s.slice(q + 1));
    if ([...query.keys()].join() !== 'token') throw new TypeError(`ipcbus: connect: address ${JSON.stringify(s)}: want ?token=T after host:port`);
    token = query.get('token') || '';
    s = s.slice(0, q);
  }
  let url;
  if (/^\d+$/.test(s)) url = hostPort(DEFAULT_TCP_HOST, Number(s));
  else {
    const i = s.lastIndexOf(':');
    const host = i < 0 ? '' : s.slice(0, i);
    if (i < 0 || (host.includes(':') && !/^\[[^\]]*\]$/.test(host))) throw new TypeError(`ipcbus: connect: address ${JSON.stringify(s)}: want host:port (or unix:PATH, ws://)`);
    if (!/^\d+$/.test(s.slice(i + 1))) throw new RangeError(`ipcbus: connect: address ${JSON.stringify(s)}: bad port`);
    url = hostPort(s.slice(0, i) || DEFAULT_TCP_HOST, Number(s.slice(i + 1)));
  }
  return { url, listener: url, token };
}

// parseAddress reads an address as nativeclient.ParseAddr does: "unix:PATH",
// "tcp:HOST:PORT", a ws:// URL, a bare port, "HOST:PORT" or a bare path;
// the TCP forms may end in "?token=T", a ws URL has its token query; any
// other URL scheme is refused, not taken for a path. It
// returns the engine's url ("unix:PATH", "tcp:HOST:PORT" or the ws URL
// without its token), the listener as a token file names it ("tcp:HOST:PORT",
// "ws:HOST:PORT"; '' for a Unix socket) and the address's own token. It
// throws a TypeError (RangeError for a bad port) on an address it cannot
// read.
export function parseAddress(s) {
  if (/^wss?:\/\//.test(s)) {
    let u;
    try { u = new URL(s); } catch { u = null; }
    if (!u || !u.host) throw new TypeError(`ipcbus: connect: bad WebSocket URL ${JSON.stringify(s)}`);
    const token = u.searchParams.get('token') || '';
    u.searchParams.delete('token');
    return { url: u.href, listener: `ws:${u.host}`, token };
  }
  if (s.startsWith('unix:')) {
    if (s.length === 5) throw new TypeError('ipcbus: connect: empty socket path');
    return { url: s, listener: '', token: '' };
  }
  if (s.startsWith('tcp:')) return tcpTarget(s.slice(4));
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(s);
  if (scheme) {
    const hint = /^https?$/.test(scheme[1]) ? "; the hub's WebSocket is ws://HOST:PORT/ws" : '';
    throw new TypeError(`ipcbus: connect: address ${JSON.stringify(s)}: unknown scheme ${JSON.stringify(scheme[1])} (want unix:PATH, tcp:HOST:PORT, ws:// or wss://${hint})`);
  }
  const q = s.indexOf('?');
  if (q >= 0 && !/[/\\]/.test(s.slice(0, q))) return tcpTarget(s); // a port or host:port with its token
  if (/^\d+$/.test(s)) return tcpTarget(s);
  if (/[/\\]/.test(s) || !s.includes(':')) return { url: `unix:${s}`, listener: '', token: '' };
  return tcpTarget(s);
}

// resolveAddress turns an address (or '' for the default) into the engine's
// {url, token}: url is "unix:PATH", "tcp:HOST:PORT" or a ws:// URL with
// its token query.
export function resolveAddress(address, options) {
  const s = address || localHub || process.env.IPCBUS_ADDR || `unix:${defaultUnixPath()}`;
  const a = parseAddress(s);
  if (!a.listener) return { url: a.url, token: '' };
  const token = tokenFor(a.listener, (options && options.token) || a.token);
  if (!a.url.startsWith('ws')) return { url: a.url, token };
  const u = new URL(a.url);
  if (token) u.searchParams.set('token', token);
  return { url: u.href, token };
}

// tokenFor returns the token to present to listener ("tcp:HOST:PORT" or
// "ws:HOST:PORT"): the one given (connect's token, else the address's
// ?token=), else the token of that listener in this process's hub address
// or in $IPCBUS_ADDR (a child process of a broker inherits it), else
// $IPCBUS_TOKEN, else the one in the default token file when it is this
// user's alone and lists the listener. '' when there is none.
export function tokenFor(listener, given) {
  if (given) return given;
  for (const known of [localHub, process.env.IPCBUS_ADDR]) {
    if (!known) continue;
    try {
      const k = parseAddress(known);
      if (k.token && k.listener === listener) return k.token;
    } catch { /* an unreadable $IPCBUS_ADDR names no listener */ }
  }
  if (process.env.IPCBUS_TOKEN) return process.env.IPCBUS_TOKEN;
  const f = readTokenFile(defaultTokenPath());
  return f && f.addrs.includes(listener) ? f.token : '';
}

// TOKEN_FILE_MAX bounds what readTokenFile reads (internal/tokenfile's maxBytes).
const TOKEN_FILE_MAX = 4 << 10;

// readTokenFile reads a token file as internal/tokenfile.Read does: the
// token on its first line, then the addresses it is good for, one a line.
// It returns null for a file that is missing, not a regular file of this
// user, readable or writable by group or others, or without a token.
export function readTokenFile(file) {
  let fd;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return null;
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile() || (st.mode & 0o077) !== 0) return null;
    if (typeof process.getuid === 'function' && st.uid !== process.getuid()) return null;
    const buf = Buffer.alloc(TOKEN_FILE_MAX);
    const n = fs.readSync(fd, buf, 0, buf.length, 0);
    const lines = buf.subarray(0, n).toString('utf8').split('\n').map((l) => l.trim());
    const token = lines[0] || '';
    if (!token) return null;
    return { token, addrs: lines.slice(1).filter((l) => l !== '') };
  } catch {
    return null;
  } finally {
    fs.closeSync(fd);
  }
}
