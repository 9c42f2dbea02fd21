// The demo: every tab is a peer; they see each other through queryState
// (polled) and chat on one channel.
'use strict';

const CHANNEL = 'demo/chat';
const $ = (id) => document.getElementById(id);
const ipc = window.ElectronCommonIPC;
const client = ipc.CreateIpcBusClient();
const name = `tab-${Math.random().toString(36).slice(2, 6)}`;

$('channel').textContent = CHANNEL;

function line(text, mine) {
  const li = document.createElement('li');
  li.textContent = text;
  if (mine) li.className = 'me';
  $('log').append(li);
  li.scrollIntoView({ block: 'nearest' });
}

client.on(CHANNEL, (event, text) => {
  const who = event.sender.name || `peer ${event.sender.id}`;
  line(`${who}: ${typeof text === 'string' ? text : JSON.stringify(text)}`, event.sender.id === client.peer.id);
});

async function refreshPeers() {
  try {
    const { payload } = await client.request(ipc.IPCBUS_CHANNEL_QUERY_STATE, 0);
    const items = [];
    for (const conn of payload.connections) {
      for (const p of conn.peers) {
        const me = p.id === client.peer.id ? ' (this tab)' : '';
        items.push(`${p.name} — ${p.process.type} over ${conn.transport}${me}`);
      }
    }
    $('peers').replaceChildren(...items.map((t) => Object.assign(document.createElement('li'), { textContent: t })));
  } catch (e) {
    $('status').textContent = `queryState failed: ${e.err || e}`;
  }
}

$('say').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const text = $('text').value.trim();
  if (text) client.send(CHANNEL, text);
  $('text').value = '';
});

client.connect({ peerName: name, timeoutDelay: 5000 }).then(() => {
  $('status').textContent = `connected as ${name} (peer ${client.peer.id}), client.wasm loaded in ${Math.round(ipc.loadMillis)} ms`;
  for (const el of $('say').elements) el.disabled = false;
  refreshPeers();
  setInterval(refreshPeers, 1000);
}, (err) => {
  $('status').textContent = `could not connect: ${err.message} (open this page with ?ipcbus-token=TOKEN, the token ipcbus serve prints)`;
});
