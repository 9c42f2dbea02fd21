// helpers.js: test helpers, injected after the preload in its world.
// T keeps named clients and an inbox of what their listeners received, so
// the Go side waits on messages (T.take) instead of sleeping.
globalThis.T = (() => {
  'use strict';
  const ipc = globalThis.ElectronCommonIPC;
  const clients = {};
  const inbox = new Map(); // key -> [item]
  const waiters = new Map(); // key -> [resolve]

  function push(key, item) {
    const w = waiters.get(key);
    if (w && w.length) { w.shift()(item); return; }
    if (!inbox.has(key)) inbox.set(key, []);
    inbox.get(key).push(item);
  }

  // fnv1a is the 32-bit FNV-1a hash of bytes; the Go side computes the same.
  function fnv1a(b) {
    let h = 0x811c9dc5;
    for (let i = 0; i < b.length; i++) {
      h ^= b[i];
      h = Math.imul(h, 0x01000193) >>> 0;
    }
    return h;
  }

  // describe turns a received value into JSON the Go side can check.
  function describe(v) {
    if (v instanceof Uint8Array) return { bin: v.length, fnv: fnv1a(v) };
    if (v instanceof Date) return { date: v.toISOString() };
    if (typeof v === 'bigint') return { bigint: v.toString() };
    if (typeof v === 'number' && !Number.isFinite(v)) return { number: String(v) };
    if (Array.isArray(v)) return v.map(describe);
    if (v && typeof v === 'object') {
      const o = {};
      for (const k of Object.keys(v)) o[k] = describe(v[k]);
      return o;
    }
    return v;
  }

  // bytes returns n deterministic bytes, as the Go side's pattern().
  function bytes(n, seed) {
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 0xff;
    return b;
  }

  return {
    ipc,
    fnv1a,
    describe,
    bytes,
    async connect(name, timeoutDelay = 10000) {
      const c = ipc.CreateIpcBusClient();
      await c.connect({ peerName: name, timeoutDelay });
      clients[name] = c;
      return c.peer;
    },
    client(name) { return clients[name]; },
    // sync returns once the hub has handled every frame the client sent
    // before (its subscriptions among them): a request the hub answers.
    async sync(name) {
      await clients[name].request(ipc.IPCBUS_CHANNEL_QUERY_STATE, 5000);
      return true;
    },
    // record makes client name keep what arrives on channel; answer says
    // what to do with requests: 'echo' resolves with the first argument,
    // 'reject' rejects with its text, anything else leaves them unanswered.
    record(name, channel, answer, text) {
      clients[name].on(channel, (event, ...args) => {
        push(`${name}|${channel}`, { sender: event.sender, request: !!event.request, args: args.map(describe) });
        if (!event.request) return;
        if (answer === 'echo') event.request.resolve(args[0]);
        else if (answer === 'reject') event.request.reject(text);
      });
    },
    // take waits for the next message recorded for name on channel.
    take(name, channel, ms = 10000) {
      const key = `${name}|${channel}`;
      const q = inbox.get(key);
      if (q && q.length) return Promise.resolve(q.shift());
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no message for ${key} within ${ms} ms`)), ms);
        if (!waiters.has(key)) waiters.set(key, []);
        waiters.get(key).push((item) => { clearTimeout(timer); resolve(item); });
      });
    },
    // playEmitterCases plays the Go engine's table of EventEmitter cases
    // (shared/bus/testdata/emitter_cases.json) on the emitter getEmitter
    // returns; emit(event) emits one event and resolves once its listeners
    // have run. Each case uses an event name of its own.
    async playEmitterCases(cases, getEmitter, emit) {
      const out = {};
      for (let i = 0; i < cases.length; i++) {
        const tc = cases[i];
        const ev = `emitter/${i}`;
        const e = getEmitter();
        const fns = {};
        let calls = [];
        const emits = [];
        const errors = [];
        const fn = (label) => fns[label] || (fns[label] = () => { calls.push(label); });
        for (const [op, label, extra] of tc.steps) {
          switch (op) {
            case 'on': e.on(ev, fn(label)); break;
            case 'once': e.once(ev, fn(label)); break;
            case 'prepend': e.prependListener(ev, fn(label)); break;
            case 'prependOnce': e.prependOnceListener(ev, fn(label)); break;
            case 'off': e.off(ev, fn(label)); break;
            case 'removeAll': e.removeAllListeners(ev); break;
            case 'offDuring':
              fns[label] = () => { calls.push(label); e.off(ev, fn(extra)); };
              e.on(ev, fns[label]);
              break;
            case 'addDuring':
              fns[label] = () => { calls.push(label); e.on(ev, fn(extra)); };
              e.on(ev, fns[label]);
              break;
            case 'emit':
              calls = [];
              await emit(ev);
              emits.push(calls);
              break;
            case 'count':
              if (e.listenerCount(ev) !== label) errors.push(`listenerCount = ${e.listenerCount(ev)}, want ${label}`);
              break;
            default:
              errors.push(`unknown step ${op}`);
          }
        }
        out[tc.name] = { emits, errors };
      }
      return out;
    },
    // runEmitterCases plays the table through client name: each emit is a
    // send on the case's channel, followed by a send on a barrier channel
    // whose arrival says that the emit's listeners have run.
    async runEmitterCases(name, cases) {
      const c = clients[name];
      const barrier = 'emitter/barrier';
      let release = null;
      c.on(barrier, () => release());
      const out = await this.playEmitterCases(cases, () => c, (ev) => {
        const done = new Promise((resolve) => { release = resolve; });
        c.send(ev);
        c.send(barrier);
        return done;
      });
      c.removeAllListeners(barrier);
      return out;
    },
    // settle runs a request and returns how it settled, as JSON.
    async settle(promise) {
      const t0 = performance.now();
      try {
        const r = await promise;
        return { ok: true, sender: r.event.sender, channel: r.event.channel, payload: describe(r.payload), ms: performance.now() - t0 };
      } catch (e) {
        // A request fails with electron-common-ipc's {event, err} (on an
        // Error); anything else was thrown.
        if (!(e instanceof Error) || e.err === undefined) return { ok: false, thrown: e instanceof Error ? e.message : String(e), code: e.code, ms: performance.now() - t0 };
        return { ok: false, err: e.err, code: e.code, sender: e.event && e.event.sender, channel: e.event && e.event.channel, ms: performance.now() - t0 };
      }
    },
  };
})();
