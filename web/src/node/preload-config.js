// src/node/preload-config.js: what IpcBusBridge answers a preload that asks
// Electron's main process for its configuration (ipcRenderer.invoke of
// PRELOAD_CHANNEL, src/preload.js): the hub's URL and token, and who the
// asking renderer is, only for a page the app allows. Plain functions of
// Electron's event, so that tests run the same code without Electron.
//
// The token goes over Electron's IPC, never on a command line:
// preloadArguments, for webPreferences.additionalArguments, is only the
// fallback (the URL and the frame origins, no token).

export const PRELOAD_CHANNEL = 'ipcbus:preload-config';

// pageOrigin is the origin of a frame's URL as Electron sends it in a
// request's Origin: "file://" for a file:// page (with Electron's default
// fuses), "app://host" for a custom standard scheme (which Node's URL
// calls "null"), else URL's origin.
export function pageOrigin(url) {
  let u;
  try {
    u = new URL(String(url));
  } catch {
    return '';
  }
  if (u.protocol === 'file:') return 'file://';
  return `${u.protocol}//${u.host}`;
}

// allowedPage tells whether a frame at url may have the configuration:
// allow is a list of origins ("file://", "app://myapp",
// "http://127.0.0.1:5173"), RegExps tested on the whole URL, or functions
// of the URL; by default only file:// pages (BrowserWindow.loadFile).
export function allowedPage(url, allow) {
  const list = allow === undefined ? ['file://'] : Array.isArray(allow) ? allow : [allow];
  const origin = pageOrigin(url);
  if (!origin) return false;
  const norm = (s) => (s === 'file:' || s === 'file://' ? 'file://' : s.replace(/\/+$/, '').toLowerCase());
  return list.some((a) => (typeof a === 'function' ? a(String(url)) === true
    : a instanceof RegExp ? a.test(String(url))
      : norm(String(a)) === norm(origin)));
}

// pageOrigins is the origins (the strings) among allowedPages: what the
// hub's WebSocket listener must allow (the Origin a page's socket sends).
export function pageOrigins(allow) {
  const list = allow === undefined ? ['file://'] : Array.isArray(allow) ? allow : [allow];
  return list.filter((a) => typeof a === 'string').map((a) => (a === 'file:' || a === 'file://' ? 'file://' : a.replace(/\/+$/, '').toLowerCase()));
}

// preloadConfigHandler returns the function ipcMain.handle(PRELOAD_CHANNEL)
// runs: config() is {url, token} (the bridge's), options {allowedPages,
// frames: [origin], name}. It throws for a frame not allowed (the preload
// then has no token) and answers {url, token, frames, name, process: {wcid,
// pid, rid}}: wcid is event.sender.id (the webContents), rid the frame's
// routing id, pid the frame's OS process id (event.processId is Chromium's
// own number for the process, not a pid).
export function preloadConfigHandler(config, options) {
  const o = options || {};
  return (event) => {
    const frame = event && event.senderFrame;
    const url = frame && frame.url;
    if (!url) throw new Error('ipcbus: the asking frame is gone');
    if (!allowedPage(url, o.allowedPages)) {
      throw new Error(`ipcbus: ${pageOrigin(url) || url} is not among the bridge's allowedPages`);
    }
    const c = config();
    if (!c) throw new Error('ipcbus: the bridge is not connected');
    const process = {};
    const num = (v) => (Number.isInteger(v) && v > 0 ? v : undefined);
    const wcid = num(event.sender && event.sender.id);
    const rid = num(frame.routingId) ?? num(event.frameId);
    const pid = num(frame.osProcessId);
    if (wcid) process.wcid = wcid;
    if (rid) process.rid = rid;
    if (pid) process.pid = pid;
    const answer = { url: c.url, token: c.token, process };
    if (o.frames) answer.frames = [...o.frames];
    if (o.name) answer.name = String(o.name);
    return answer;
  };
}

// preloadArguments is the fallback for webPreferences.additionalArguments:
// the hub's URL and the frame origins, never the token.
export function preloadArguments(config, options) {
  const c = config();
  if (!c) return [];
  const args = [`--ipcbus-url=${c.url}`];
  const frames = options && options.frames;
  if (frames && frames.length) args.push(`--ipcbus-frames=${frames.join(',')}`);
  return args;
}
