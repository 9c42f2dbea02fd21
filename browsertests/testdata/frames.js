// frames.js: test helpers for pages and frames that get ipcbus over a
// MessagePort (ipcbus-page.bundle.js), loaded after helpers.js.
//
// A frame (frame.html#name=NAME[&timeout=MS]) connects as NAME, answers
// requests on ctl/NAME by running their text as the body of an async
// function of T (so the Go side drives it through the bus, whatever its
// origin), and posts {ipcbusTest: status} to its parent. The parent waits
// for that with T.frameStatus(NAME).
(() => {
  'use strict';
  const T = globalThis.T;
  const statuses = new Map(); // name -> status
  const waiting = new Map(); // name -> [resolve]

  window.addEventListener('message', (e) => {
    const s = e.data && e.data.ipcbusTest;
    if (!s) return;
    statuses.set(s.name, s);
    for (const fn of waiting.get(s.name) || []) fn(s);
    waiting.delete(s.name);
  });

  // frameStatus waits for frame name's status.
  T.frameStatus = (name) => {
    if (statuses.has(name)) return Promise.resolve(statuses.get(name));
    return new Promise((resolve) => {
      if (!waiting.has(name)) waiting.set(name, []);
      waiting.get(name).push(resolve);
    });
  };

  // addFrame appends an iframe named name loading src; sandbox, when
  // given, is its sandbox attribute; grant grants it first.
  T.addFrame = async (name, src, { sandbox, grant } = {}) => {
    const f = document.createElement('iframe');
    f.id = name;
    if (sandbox !== undefined) f.setAttribute('sandbox', sandbox);
    if (grant) await T.ipc.grantFrame(f);
    f.src = src;
    document.body.appendChild(f);
    return true;
  };

  // serve makes client name run what arrives on ctl/name (see above),
  // answering requests with the result.
  T.serve = (name) => {
    T.client(name).on(`ctl/${name}`, async (event, body) => {
      let result;
      try {
        const fn = new Function('T', `return (async () => { ${body} })();`);
        result = await fn(T);
      } catch (err) {
        if (event.request) event.request.reject(String((err && err.message) || err));
        return;
      }
      if (event.request) event.request.resolve(result);
    });
  };

  // runFrame is a frame's life: connect, serve, report.
  T.runFrame = async () => {
    const p = new URLSearchParams(location.hash.slice(1));
    const name = p.get('name');
    let status;
    try {
      const peer = await T.connect(name, Number(p.get('timeout') || 10000));
      T.serve(name);
      await T.sync(name);
      status = { name, ok: true, peer, origin: self.origin };
    } catch (err) {
      status = { name, ok: false, err: String((err && err.message) || err), code: err && err.code, origin: self.origin };
    }
    parent.postMessage({ ipcbusTest: status }, '*');
  };
})();

// Ports: T.ports[key] is a MessagePort end with what it received.
(() => {
  'use strict';
  const T = globalThis.T;
  const ends = new Map(); // key -> {port, got, closed, waiters, echo}
  const arrivals = new Map(); // key -> [resolve] waiting for the port

  function end(key) { return ends.get(key); }

  function notify(e) {
    for (const w of e.waiters.splice(0)) w();
  }

  // keepPort records what port receives under key.
  T.keepPort = (key, port) => {
    const e = { port, got: [], closed: false, closedAt: 0, waiters: [], echo: false, first: 0, last: 0 };
    ends.set(key, e);
    port.onmessage = (m) => {
      const v = m.data;
      if (e.echo && v && v.ping !== undefined) {
        port.postMessage({ pong: v.ping });
        return;
      }
      if (e.got.length === 0) e.first = performance.now();
      e.last = performance.now();
      e.got.push(v);
      notify(e);
    };
    port.addEventListener('close', () => {
      e.closed = true;
      e.closedAt = performance.now();
      notify(e);
    });
    for (const w of arrivals.get(key) || []) w();
    arrivals.delete(key);
    return true;
  };

  // newPort makes a MessageChannel, keeps port1 under key, returns port2.
  T.newPort = (key) => {
    const ch = new MessageChannel();
    T.keepPort(key, ch.port1);
    return ch.port2;
  };

  // listenPort makes client name keep the first port of each message on
  // channel under key, and the message under key + '/message'.
  T.listenPort = (name, channel, key) => {
    T.client(name).on(channel, (event, message) => {
      T.portMessage = T.portMessage || {};
      T.portMessage[key] = { message: T.describe(message), isMap: message instanceof Map, ports: (event.ports || []).length, sender: event.sender };
      if (event.ports && event.ports[0]) T.keepPort(key, event.ports[0]);
    });
    return true;
  };

  // waitPort resolves once a port is kept under key, with its message.
  T.waitPort = (key) => {
    if (ends.has(key)) return Promise.resolve(T.portMessage && T.portMessage[key]);
    return new Promise((resolve) => {
      if (!arrivals.has(key)) arrivals.set(key, []);
      arrivals.get(key).push(() => resolve(T.portMessage && T.portMessage[key]));
    });
  };

  function until(key, cond, ms = 20000) {
    const e = end(key);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`port ${key}: condition not met within ${ms} ms (${e.got.length} received, closed ${e.closed})`)), ms);
      const check = () => {
        if (cond(e)) { clearTimeout(timer); resolve(); } else e.waiters.push(check);
      };
      check();
    });
  }

  // burst posts {i: 0..n-1} on key's port.
  T.burst = (key, n) => {
    const p = end(key).port;
    for (let i = 0; i < n; i++) p.postMessage({ i });
    return true;
  };

  // received waits for n messages on key and says whether they are
  // {i: 0..n-1} in order, and how long they took from the first.
  T.received = async (key, n) => {
    await until(key, (e) => e.got.length >= n);
    const e = end(key);
    const inOrder = e.got.length === n && e.got.every((v, i) => v && v.i === i);
    return { n: e.got.length, inOrder, ms: e.last - e.first, sample: e.got.slice(0, 2).map(T.describe) };
  };

  // echo makes key's port answer {ping} with {pong}.
  T.echo = (key) => { end(key).echo = true; return true; };

  // rtt pings n times in sequence over key's port (the far end echoes)
  // and returns the mean round trip in ms.
  T.rtt = async (key, n) => {
    const e = end(key);
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      const seen = e.got.length;
      e.port.postMessage({ ping: i });
      await until(key, (x) => x.got.length > seen);
      const v = e.got[e.got.length - 1];
      if (!v || v.pong !== i) throw new Error(`rtt: got ${JSON.stringify(v)} for ping ${i}`);
    }
    e.got = [];
    return (performance.now() - t0) / n;
  };

  // closeAfter closes key's port; closed waits until its close event.
  T.closePort = (key) => { end(key).port.close(); return performance.now(); };
  T.closed = async (key) => {
    await until(key, (e) => e.closed);
    return end(key).closedAt;
  };
  T.reset = (key) => { end(key).got = []; return true; };
  T.portOf = (key) => end(key).port;
  // next waits for the next message on key's port and takes it.
  T.next = async (key) => {
    await until(key, (e) => e.got.length > 0);
    return end(key).got.shift();
  };
})();

// T.rawPort asks for a port as the shim does (role 'page': this window;
// 'frame': the parent) and speaks the port protocol raw, as a hostile
// script could: post([ops]) and reply(seq) for the reply to an op.
(() => {
  'use strict';
  const T = globalThis.T;
  T.rawPort = (role) => new Promise((resolve, reject) => {
    const nonce = Array.from(crypto.getRandomValues(new Uint8Array(16)), (x) => x.toString(16).padStart(2, '0')).join('');
    const upstream = role === 'page' ? window : window.parent;
    const timer = setTimeout(() => reject(new Error('no port')), 5000);
    window.addEventListener('message', function onPort(e) {
      if (!e.data || e.data.ipcbus !== 'port' || e.data.nonce !== nonce) return;
      window.removeEventListener('message', onPort);
      clearTimeout(timer);
      const port = e.ports[0];
      const replies = new Map();
      const waiters = new Map();
      let ready;
      const isReady = new Promise((r) => { ready = r; });
      port.onmessage = (m) => {
        if (!Array.isArray(m.data)) {
          if (m.data && m.data.ctl === 'ready') ready();
          return;
        }
        for (const msg of m.data) {
          if (msg.op !== 'reply') continue;
          replies.set(msg.seq, msg);
          if (waiters.has(msg.seq)) waiters.get(msg.seq)(msg);
        }
      };
      resolve({
        ready: isReady,
        post(ops) { port.postMessage(ops); },
        reply(seq) {
          if (replies.has(seq)) return Promise.resolve(replies.get(seq));
          return new Promise((r) => waiters.set(seq, r));
        },
      });
    });
    upstream.postMessage({ ipcbus: 'hello', role, nonce }, '*');
  });
})();
