// boot.js: the browser side of the bench (bench/internal/orch/browser.go
// drives it over CDP). The echo server serves this page cross-origin
// isolated (COOP and COEP headers), so that performance.now() has 5 µs steps
// instead of 100 µs; the ipcbus preload bundle and client.wasm come from the
// hub, whose WebSocket listener serves web/build.sh's output, exactly as a
// page the hub serves would load them.
//
// URL parameters: hub (http://127.0.0.1:PORT), token (the hub's WebSocket
// token), trace (time the segments of each request: see installTrace).
//
// window.bench:
//   start()               → {loadMs}: client.wasm loaded, a client connected
//   busOneWay(o)          the Go worker's sender (bench/internal/worker/oneway.go)
//                         over client.send: probe, then o.n messages of o.size
//                         bytes within a credit window, or fewer in o.budgetMs
//   rawOneWay(o)          the same over a plain WebSocket to the echo
//                         server's /sink → the sink's count and times
//   busRequests(o)        sequential client.request round trips → {p50Us, p99Us, count, segments?}
//   rawRequests(o)        sequential round trips through /echo → the same
//   hubRequests(o)        sequential requests to the worker through the hub
//                         in plain JS: ipcbus frames (msgpack) over a
//                         WebSocket of its own, no client.wasm → the same
//                         (the trace's split of the gap: hub or client)
(() => {
  'use strict';

  const params = new URLSearchParams(location.search);
  const hub = params.get('hub');
  const RawWebSocket = globalThis.WebSocket;
  const trace = params.has('trace') ? installTrace() : null;
  globalThis.IPCBUS_CONFIG = { url: `${hub.replace(/^http/, 'ws')}/ws`, token: params.get('token'), name: 'bench-page' };

  // installTrace wraps the WebSocket the engine opens (after this runs) so
  // that each request can be cut into segments: when the engine calls
  // send, when the browser dispatches the answer, when the engine's
  // onmessage handler returns.
  function installTrace() {
    const t = { send: 0, arrive: 0, created: 0, handled: 0 };
    class TracedWebSocket extends RawWebSocket {
      send(data) {
        t.send = performance.now();
        return super.send(data);
      }
      get onmessage() { return super.onmessage; }
      set onmessage(f) {
        super.onmessage = f && ((ev) => {
          t.arrive = performance.now();
          t.created = ev.timeStamp;
          f(ev);
          t.handled = performance.now();
        });
      }
    }
    globalThis.WebSocket = TracedWebSocket;
    return t;
  }

  const loaded = new Promise((resolve, reject) => {
    const s = document.createElement('script');
    s.crossOrigin = 'anonymous';
    s.src = `${hub}/ipcbus-preload.bundle.js`;
    s.onload = resolve;
    s.onerror = () => reject(new Error(`loading ${s.src} failed`));
    document.head.appendChild(s);
  });

  let client;

  async function start() {
    await loaded;
    const ipc = globalThis.ElectronCommonIPC;
    await ipc.ready;
    client = ipc.CreateIpcBusClient();
    await client.connect({ peerName: 'bench-page', timeoutDelay: 10000 });
    return { loadMs: ipc.loadMillis, isolated: globalThis.crossOriginIsolated === true };
  }

  // waiter: wait() resolves at the next wake() or after ms.
  function waiter() {
    let resolve = null;
    return {
      wake() {
        if (resolve) {
          const r = resolve;
          resolve = null;
          r();
        }
      },
      wait(ms) {
        return new Promise((r) => {
          resolve = r;
          setTimeout(r, ms);
        });
      },
    };
  }

  // sendLoop sends n payloads with send(p), never more than window ahead of
  // acked(), or fewer when budgetMs runs out (then end() marks the end), and
  // waits until all are acknowledged. It returns how many it sent.
  async function sendLoop(o, send, end, acked, w) {
    const payload = new Uint8Array(o.size);
    const deadline = performance.now() + o.timeoutMs;
    const start = performance.now();
    let n = o.n;
    for (let i = 0; i < n; i++) {
      if (performance.now() - start > o.budgetMs) {
        n = i;
        end();
        break;
      }
      while (i - acked() >= o.window) {
        await w.wait(50);
        if (performance.now() > deadline) throw new Error(`timed out after sending ${i} of ${n}`);
      }
      send(payload);
    }
    return { n, start };
  }

  async function busOneWay(o) {
    const w = waiter();
    let acked = 0;
    let probed = false;
    const onAck = (_event, data) => {
      if (!(data instanceof Uint8Array) || data.length !== 9 || data[0] !== o.receiver) return;
      const n = Number(new DataView(data.buffer, data.byteOffset, 9).getBigUint64(1));
      if (n === 0) probed = true;
      else if (n > acked) acked = n;
      w.wake();
    };
    client.on(o.ackCh, onAck);
    try {
      // The receiver's subscription is in force at the hub once it answers a
      // probe sent after it.
      const deadline = performance.now() + o.timeoutMs;
      while (!probed) {
        client.send(o.probeCh, new Uint8Array([0]));
        await w.wait(20);
        if (performance.now() > deadline) throw new Error('the receiver never answered the probe');
      }
      const { n, start } = await sendLoop(o, (p) => client.send(o.ch, p), () => client.send(o.ch, new Uint8Array(0)), () => acked, w);
      while (acked < n) {
        await w.wait(100);
        if (performance.now() > deadline) throw new Error(`timed out waiting for acks (${acked} of ${n})`);
      }
      return { count: n, seconds: (performance.now() - start) / 1000 };
    } finally {
      client.removeListener(o.ackCh, onAck);
    }
  }

  function openWS(url, protocol) {
    return new Promise((resolve, reject) => {
      const ws = protocol ? new RawWebSocket(url, protocol) : new RawWebSocket(url);
      ws.binaryType = 'arraybuffer';
      ws.onopen = () => resolve(ws);
      ws.onerror = () => reject(new Error(`WebSocket ${url} failed`));
    });
  }

  async function rawOneWay(o) {
    const ws = await openWS(`${o.url}/sink?ack=${o.ackEvery}&warmup=${o.warmup}`);
    const w = waiter();
    let acked = 0;
    let summary = null;
    ws.onmessage = (ev) => {
      if (typeof ev.data === 'string') summary = JSON.parse(ev.data);
      else acked = Number(new DataView(ev.data).getBigUint64(0));
      w.wake();
    };
    try {
      const deadline = performance.now() + o.timeoutMs;
      const { n } = await sendLoop(o, (p) => ws.send(p), () => {}, () => acked, w);
      ws.send(new Uint8Array(0));
      while (!summary) {
        await w.wait(100);
        if (performance.now() > deadline) throw new Error(`timed out waiting for the sink (${acked} of ${n} acknowledged)`);
      }
      return { count: n, ...summary };
    } finally {
      ws.close();
    }
  }

  function percentile(sorted, p) {
    const i = Math.floor((sorted.length * p + 99) / 100);
    return sorted[Math.min(Math.max(i - 1, 0), sorted.length - 1)];
  }

  const median = (a) => percentile([...a].sort((x, y) => x - y), 50);

  // timed runs one() o.warmup times (at most a quarter of the budget), then
  // up to o.n times: at least 10, within o.budgetMs (up to four budgets for
  // the 10), as the Go requester does.
  async function timed(o, one) {
    let t = performance.now();
    for (let i = 0; i < o.warmup && performance.now() - t < o.budgetMs / 4; i++) await one(null);
    const lat = [];
    const segs = [];
    const start = performance.now();
    while (lat.length < o.n) {
      const el = performance.now() - start;
      if (el > 4 * o.budgetMs || (lat.length >= 10 && el > o.budgetMs)) break;
      const seg = trace ? {} : null;
      t = performance.now();
      await one(seg);
      lat.push(performance.now() - t);
      if (seg) segs.push(seg);
    }
    const sorted = [...lat].sort((x, y) => x - y);
    const r = { count: lat.length, p50Us: percentile(sorted, 50) * 1000, p99Us: percentile(sorted, 99) * 1000 };
    if (segs.length) {
      r.segments = {};
      for (const k of Object.keys(segs[0])) r.segments[k] = median(segs.map((s) => s[k])) * 1000;
    }
    return r;
  }

  function check(p, size) {
    if (!(p instanceof Uint8Array) || p.length !== size) {
      throw new Error(`answer of ${p && p.length} bytes, want ${size}`);
    }
  }

  async function busRequests(o) {
    const payload = new Uint8Array(o.size);
    const request = async (seg) => {
      let r;
      try {
        const t0 = performance.now();
        const pending = client.request(o.ch, 5000, payload);
        const posted = performance.now();
        r = await pending;
        const done = performance.now();
        if (seg) {
          // µs: the call until the engine's ws.send, the rest of the call,
          // ws.send until the answer is dispatched (network, hub, native
          // responder), the browser's queueing of the message event, the
          // engine's onmessage handler, and its return until the await resumes.
          seg.callToSend = trace.send - t0;
          seg.sendToReturn = posted - trace.send;
          seg.sendToArrive = trace.arrive - trace.send;
          seg.eventQueued = trace.arrive - trace.created;
          seg.onmessage = trace.handled - trace.arrive;
          seg.handledToResolved = done - trace.handled;
        }
      } catch (e) {
        throw new Error(`request: ${e && (e.err || e.message || e)}`);
      }
      check(r.payload, o.size);
    };
    // The responder is in place (the worker synced it): a first request
    // that fails is an error.
    return timed(o, request);
  }

  async function rawRequests(o) {
    const ws = await openWS(`${o.url}/echo`);
    const payload = new Uint8Array(o.size);
    let pending = null;
    ws.onmessage = (ev) => {
      const p = pending;
      pending = null;
      if (p) p({ data: ev.data, arrive: performance.now(), created: ev.timeStamp });
    };
    ws.onclose = () => {
      if (pending) pending(null);
    };
    const echo = async (seg) => {
      const answer = new Promise((resolve) => { pending = resolve; });
      const t0 = performance.now();
      ws.send(payload);
      const sent = performance.now();
      const a = await answer;
      const done = performance.now();
      if (!a) throw new Error('the echo server closed the socket');
      check(new Uint8Array(a.data), o.size);
      if (seg) {
        seg.callToSend = 0;
        seg.sendToReturn = sent - t0;
        seg.sendToArrive = a.arrive - t0;
        seg.eventQueued = a.arrive - a.created;
        seg.onmessage = 0;
        seg.handledToResolved = done - a.arrive;
      }
    };
    try {
      return await timed(o, echo);
    } finally {
      ws.close();
    }
  }

  // hubRequests speaks the hub's protocol (shared/wire) itself: hello,
  // peer.add, then request frames, each a msgpack array of the frame's
  // fields (kind, channel, peer, to, id, code, sender, ports, body).
  async function hubRequests(o) {
    const codec = ipcbusCodec; // the preload bundle's (a global binding, not a property)
    const ws = await openWS(`${hub.replace(/^http/, 'ws')}/ws?token=${encodeURIComponent(params.get('token'))}`, 'ipcbus.v1');
    let pending = null;
    ws.onmessage = (ev) => {
      const p = pending;
      pending = null;
      if (p) p(codec.decode(new Uint8Array(ev.data)));
    };
    const roundTrip = (frame) => new Promise((resolve) => { pending = resolve; ws.send(codec.encode(frame)); });
    const process = { type: 'renderer', pid: 1 };
    try {
      const welcome = await roundTrip([1, null, 0, null, 0, 0, null, null, { version: 1, token: params.get('token'), process }]);
      if (welcome[0] !== 2) throw new Error(`the hub answered hello with kind ${welcome[0]}`);
      const added = await roundTrip([3, null, 0, null, 1, 0, null, null, { name: 'bench-raw', process }]);
      if (added[0] !== 4 || added[5] !== 0) throw new Error('the hub refused peer.add');
      const peer = added[8].id;
      const payload = new Uint8Array(o.size);
      let id = 0;
      return await timed(o, async () => {
        const r = await roundTrip([9, o.ch, peer, null, ++id, 0, null, null, [payload]]);
        if (r[0] !== 10 || r[5] !== 0) throw new Error(`request: kind ${r[0]}, status ${r[5]}`);
        check(r[8], o.size);
      });
    } finally {
      ws.close();
    }
  }

  globalThis.bench = { start, busOneWay, rawOneWay, busRequests, rawRequests, hubRequests };
})();
