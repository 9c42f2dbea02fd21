// src/spy.js: client.spy(filter, listener), the hub's tap (docs/spy.md)
// through the protocol, as any peer may use it: listen on the spy channel,
// then request on it with the filter. Only messages the hub sends there are
// events; the spy asks again each time its client reconnects.
import { codedError } from './errors.js';
import { checkListener } from './emitter.js';

const SPY_CHANNEL = '/electron-common-ipc/spy';

/** @type {WeakMap<object, object>} the clients with a spy attached, to its token */
const spying = new WeakMap();

/**
 * @param {any} filter
 * @returns {{channels?: string[], peers?: string[]}}
 */
function checkFilter(filter) {
  if (filter === undefined || filter === null) return {};
  if (typeof filter !== 'object' || Array.isArray(filter)) {
    throw new TypeError('ipcbus: spy: the filter must be {channels?, peers?}');
  }
  /** @type {{channels?: string[], peers?: string[]}} */
  const out = {};
  for (const key of /** @type {const} */ (['channels', 'peers'])) {
    const list = filter[key];
    if (list === undefined || list === null) continue;
    if (!Array.isArray(list) || list.some((v) => typeof v !== 'string' && typeof v !== 'number')) {
      throw new TypeError(`ipcbus: spy: filter.${key} must be an array of strings`);
    }
    out[key] = list.map(String);
  }
  return out;
}

/**
 * spy attaches client as a spy of its hub: listener(event) gets each event
 * the hub routes that passes filter, in order, until the returned stop
 * function is called or the client closes. A reconnected client attaches
 * again by itself (events of the outage are not seen); a failure to do so
 * is logged. One spy per client: the hub keeps one filter per peer.
 *
 * @param {any} client an IpcBusClient
 * @param {any} filter {channels?: patterns, peers?: names or ids}
 * @param {(event: any) => void} listener
 * @param {number} [timeoutDelay] for the hub's answer, as request's
 * @returns {Promise<() => void>}
 */
export async function spy(client, filter, listener, timeoutDelay) {
  checkListener(listener);
  const wanted = checkFilter(filter);
  if (spying.has(client)) throw codedError('ipcbus: spy: this client has a spy attached already; stop it first', 'spy-attached');
  const token = {};
  spying.set(client, token);
  /** @param {any} event @param {any} ev */
  const onEvent = (event, ev) => {
    const from = event.sender;
    if (!from || !from.process || from.process.type !== 'hub') return; // a peer's message, no hub event
    listener(ev);
  };
  const attach = async () => {
    let answer;
    try {
      answer = await client.request(SPY_CHANNEL, timeoutDelay, wanted);
    } catch (err) {
      const e = /** @type {any} */ (err);
      throw codedError(`ipcbus: spy: ${e && e.err !== undefined ? e.err : e && e.message}`, (e && e.code) || 'refused');
    }
    if (answer.payload !== true) throw codedError('ipcbus: spy: the hub did not attach the spy', 'refused');
  };
  let offStatus = () => {};
  const stop = () => {
    if (spying.get(client) !== token) return; // stopped already
    spying.delete(client);
    offStatus();
    client.removeListener(SPY_CHANNEL, onEvent);
  };
  client.on(SPY_CHANNEL, onEvent);
  try {
    await attach();
  } catch (err) {
    stop();
    throw err;
  }
  offStatus = client.onStatus((/** @type {any} */ st) => {
    if (st.status === 'connected') {
      attach().catch((err) => console.error(`${err.message} (after reconnecting)`));
    } else if (st.status === 'closed') {
      stop();
    }
  });
  return stop;
}
