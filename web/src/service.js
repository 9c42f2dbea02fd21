// src/service.js: electron-common-ipc's services and service proxies, in
// plain JavaScript over the public client API (send, request, on,
// removeListener). They run wherever a client runs: in a preload over
// client.wasm, or in a page or frame that gets its client over a
// MessagePort. Nothing here talks to the engine.
//
// The protocol is the original's, and the Go engine's (shared/bus), so that
// services and proxies in Go, in pages and in Node interoperate:
//   call    a request on /electron-ipc-bus/ipc-service/<name>/call whose one
//           argument is {handlerName, args}
//   event   a send on /electron-ipc-bus/ipc-service/<name>/event whose one
//           argument is {eventName, args}: service-event-start (args:
//           [status]), service-event-stop (args: [{}]), service-wrapper-event
//           (args: [eventName, argsArray]), or the service's own events
//   status  the call __getServiceStatus answers {started, callHandlers,
//           supportEventEmitter}
//
// Where the original says nothing, this follows the Go engine: a proxy's
// timeoutDelay bounds each call, from the wait for the service to start to
// the answer; calls wait in a bounded queue; connect waits for a service
// that is not started yet; stopping a stopped service does nothing. Across
// a reconnect of the client (client.onStatus), as the Go engine's: a
// started service announces its start again once reconnected; a proxy
// sees its service stop when the connection is lost (calls under way
// reject, new ones wait) and asks its status again once reconnected.
//
// An ES module. Every export is public API: the preload, the page shim and
// the Node entry add them all to their API.

import { EventEmitter, registryOf } from './emitter.js';

const IPCBUS_SERVICE_EVENT_START = 'service-event-start';
const IPCBUS_SERVICE_EVENT_STOP = 'service-event-stop';
const IPCBUS_SERVICE_WRAPPER_EVENT = 'service-wrapper-event';
const IPCBUS_SERVICE_CALL_GETSTATUS = '__getServiceStatus';
const IPCBUS_CHANNEL_SERVICE_AVAILABLE = '/electron-common-ipc/serviceAvailable';

const DEFAULT_TIMEOUT = 2000; // electron-common-ipc's IPC_BUS_TIMEOUT
const MAX_QUEUED_CALLS = 1024; // as the Go proxy's MaxQueuedCalls
const MAX_CONCURRENT_CALLS = 1024; // as the Go service's MaxConcurrentCalls
const UNKNOWN_HANDLER = 'Function unknown !';
const QUEUE_FULL = 'ipcbus: too many calls waiting for the service to start';

function serviceCallChannel(name) { return `/electron-ipc-bus/ipc-service/${name}/call`; }
function serviceEventChannel(name) { return `/electron-ipc-bus/ipc-service/${name}/event`; }
function stoppedMessage(name) { return `Service '${name}' stopped`; }

const now = typeof performance !== 'undefined' ? () => performance.now() : () => Date.now();

// report surfaces an error that belongs to no caller, as the client does.
function report(err) {
  queueMicrotask(() => { throw err; });
}

// emitEach emits event on an emitter for the bus: as emit, but a listener
// that throws is reported and the others still run, as with the client's
// listeners.
function emitEach(emitter, event, args) {
  registryOf(emitter).emit(emitter, event, args, report);
}

// The methods of Node's EventEmitter (and of ours): an outer instance
// that extends one does not expose them as call handlers.
const EMITTER_METHODS = ['addListener', 'on', 'prependListener', 'once', 'prependOnceListener', 'removeListener',
  'off', 'removeAllListeners', 'emit', 'listenerCount', 'listeners', 'rawListeners', 'eventNames',
  'setMaxListeners', 'getMaxListeners'];

// isEmitterPrototype tells ours and Node's EventEmitter.prototype (a
// preload with require('events')) from a class of the app.
function isEmitterPrototype(proto) {
  if (proto === EventEmitter.prototype) return true;
  const own = (name) => Object.prototype.hasOwnProperty.call(proto, name);
  return own('constructor') && typeof proto.constructor === 'function' &&
    proto.constructor.name === 'EventEmitter' && own('emit') && own('on');
}

// methodsOf lists the functions of an outer instance, as the original
// does: own properties first, then the prototype chain up to
// Object.prototype or an EventEmitter's (whose methods are left out);
// not 'constructor', not names that start with '_'. Where a name is
// defined at several levels, the nearest wins, as a JS call would pick it.
function methodsOf(obj) {
  const methods = new Map();
  const collect = (o) => {
    for (const name of Object.getOwnPropertyNames(o)) {
      if (name === 'constructor' || name[0] === '_' || methods.has(name)) continue;
      const desc = Object.getOwnPropertyDescriptor(o, name);
      if (desc && typeof desc.value === 'function') methods.set(name, desc.value);
    }
  };
  collect(obj);
  for (let proto = Object.getPrototypeOf(obj); proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    if (isEmitterPrototype(proto)) {
      for (const name of EMITTER_METHODS) methods.delete(name);
      break;
    }
    collect(proto);
  }
  return methods;
}

// watchStatus calls fn at each status change of client, when it reports
// them (client.onStatus); it returns the function that stops it.
function watchStatus(client, fn) {
  return typeof client.onStatus === 'function' ? client.onStatus(fn) : () => {};
}

function checkClient(client) {
  if (!client || typeof client.send !== 'function' || typeof client.request !== 'function' ||
    typeof client.on !== 'function' || typeof client.removeListener !== 'function') {
    throw new TypeError('ipcbus: a service needs an IpcBusClient');
  }
}

// --- Service ---

class IpcBusService {
  constructor(client, serviceName, serviceImpl, options) {
    checkClient(client);
    this._client = client;
    this._name = String(serviceName);
    this._impl = serviceImpl || null;
    this._handlers = new Map();
    this._started = false;
    this._running = new Set(); // the requests of calls whose result is a Promise not yet settled
    this._prevEmit = null; // the outer instance's emit while it is hooked
    this._ownEmit = false; // whether that emit was an own property
    const max = options && Number(options.maxConcurrentCalls);
    this._maxRunning = max > 0 ? max : MAX_CONCURRENT_CALLS;
    this._onCall = this._onCall.bind(this);
    this._unwatch = null; // while started: stops watching the client's status

    this.registerCallHandler(IPCBUS_SERVICE_CALL_GETSTATUS, () => this._status());
    if (this._impl) {
      for (const [name, fn] of methodsOf(this._impl)) this.registerCallHandler(name, fn);
    }
  }

  _status() {
    return {
      started: this._started,
      callHandlers: [...this._handlers.keys()].filter((n) => n[0] !== '_'),
      supportEventEmitter: this._prevEmit !== null,
    };
  }

  // start listens for calls, hooks the outer instance's emit and sends the
  // start event with the status. Starting a started service sends the
  // start event again. The client should be connected: the start event
  // sent while it is not is lost.
  start() {
    if (!this._started) {
      this._started = true;
      this._hookEmit();
      const channel = serviceCallChannel(this._name);
      this._client.removeListener(channel, this._onCall);
      // The subscription goes out ahead of the start event: the hub sees
      // the service listening when it sees it start.
      this._client.on(channel, this._onCall);
      // Reconnected, to a new hub: it learns of the service again.
      this._unwatch = watchStatus(this._client, (ev) => {
        if (ev.status === 'connected' && ev.attempt > 0 && this._started) this.sendEvent(IPCBUS_SERVICE_EVENT_START, this._status());
      });
    }
    this.sendEvent(IPCBUS_SERVICE_EVENT_START, this._status());
  }

  // stop sends the stop event, stops listening and rejects the calls
  // still running with "Service '<name>' stopped" (their results, when
  // they come, are dropped). Stopping a stopped service does nothing.
  stop() {
    if (!this._started) return;
    this._started = false;
    if (this._unwatch) this._unwatch();
    this._unwatch = null;
    this._unhookEmit();
    this.sendEvent(IPCBUS_SERVICE_EVENT_STOP, {});
    this._client.removeListener(serviceCallChannel(this._name), this._onCall);
    const running = [...this._running];
    this._running.clear();
    for (const request of running) this._settle(request, false, stoppedMessage(this._name));
  }

  registerCallHandler(name, handler) {
    if (typeof handler !== 'function') {
      throw new TypeError(`ipcbus: the handler of "${name}" must be a function, got ${typeof handler}`);
    }
    this._handlers.set(String(name), handler);
  }

  unregisterCallHandler(name) {
    this._handlers.delete(String(name));
  }

  // sendEvent sends an event to the service's proxies, started or not;
  // it returns false when the client is not connected.
  sendEvent(name, ...args) {
    return this._client.send(serviceEventChannel(this._name), { eventName: name, args });
  }

  _hookEmit() {
    const impl = this._impl;
    if (!impl || typeof impl.emit !== 'function') return;
    const prev = impl.emit;
    const own = Object.prototype.hasOwnProperty.call(impl, 'emit');
    const service = this;
    try {
      impl.emit = function emit(eventName, ...args) {
        try {
          service.sendEvent(IPCBUS_SERVICE_WRAPPER_EVENT, eventName, args);
        } catch (err) {
          report(err); // the local emit happens all the same
        }
        return prev.call(this, eventName, ...args);
      };
    } catch (err) {
      return; // a frozen instance: its events stay local
    }
    this._prevEmit = prev;
    this._ownEmit = own;
  }

  _unhookEmit() {
    if (this._prevEmit === null) return;
    if (this._ownEmit) this._impl.emit = this._prevEmit;
    else delete this._impl.emit;
    this._prevEmit = null;
  }

  _settle(request, ok, value) {
    try {
      if (ok) request.resolve(value);
      else request.reject(value);
    } catch (err) {
      report(err); // a result that cannot be sent: the caller got a rejection
    }
  }

  _onCall(event, call) {
    const request = event.request;
    const handlerName = call && typeof call === 'object' ? call.handlerName : undefined;
    const args = call && Array.isArray(call.args) ? call.args : [];
    const fail = (err) => {
      if (request) this._settle(request, false, err);
      else console.warn(`ipcbus: service '${this._name}': call of '${handlerName}' sent without request failed:`, err);
    };
    if (!this._started) {
      fail(stoppedMessage(this._name));
      return;
    }
    const handler = this._handlers.get(handlerName);
    if (!handler) {
      fail(UNKNOWN_HANDLER);
      return;
    }
    if (request && this._running.size >= this._maxRunning) {
      fail(`ipcbus: service busy: ${this._maxRunning} calls running`);
      return;
    }
    let result;
    try {
      result = handler.apply(this._impl, args);
    } catch (err) {
      fail(err);
      return;
    }
    const thenable = result !== null && (typeof result === 'object' || typeof result === 'function') &&
      typeof result.then === 'function';
    if (!thenable) {
      if (request) this._settle(request, true, result);
      return;
    }
    if (request) this._running.add(request);
    Promise.resolve(result).then((value) => {
      if (request && this._running.delete(request)) this._settle(request, true, value);
    }, (err) => {
      if (!request) fail(err);
      else if (this._running.delete(request)) this._settle(request, false, err);
    });
  }
}

// --- Proxy ---

// timeoutFor maps a timeoutDelay: 0, undefined, null or not a number is
// the default; below zero is no deadline (-1).
function timeoutFor(delay, fallback) {
  if (delay === undefined || delay === null || delay === 0) return fallback;
  const n = Number(delay);
  if (Number.isNaN(n)) return fallback;
  return n < 0 ? -1 : n;
}

// errOf is what a call rejects with: the client's err (a string, as in
// the original), or what was thrown.
function errOf(failure) {
  return failure && typeof failure === 'object' && 'err' in failure ? failure.err : failure;
}

class IpcBusServiceProxy extends EventEmitter {
  constructor(client, serviceName, options) {
    super();
    checkClient(client);
    /** @type {any} */ (this).setMaxListeners(0); // methods set by Object.assign, unseen by tsc
    this._client = client;
    this._name = String(serviceName);
    const o = options || {};
    this._timeout = timeoutFor(o.timeoutDelay, DEFAULT_TIMEOUT);
    const max = Number(o.maxQueuedCalls);
    this._maxQueued = max > 0 ? max : MAX_QUEUED_CALLS;
    this._wrapper = new EventEmitter();
    /** @type {any} */ (this._wrapper).setMaxListeners(0);
    this._listening = false; // between connect and close
    this._started = false;
    this._stops = 0; // stop events seen, to spot a stale status
    this._queue = []; // calls waiting for the start
    this._inflight = new Set(); // calls sent, not answered
    this._waiters = new Set(); // connects waiting for the start
    this._onEvent = this._onEvent.bind(this);
    this._unwatch = null; // while listening: stops watching the client's status
  }

  get isStarted() { return this._started; }
  get wrapper() { return this._wrapper; }
  getWrapper() { return this._wrapper; }

  // connect listens to the service's events and asks its status, then
  // resolves with the wrapper once the service is started, waiting for its
  // start event if needed, for at most timeoutDelay ms (a number, or
  // {timeoutDelay}; by default the proxy's). It rejects with 'timeout',
  // or with the status request's error. A proxy that failed to connect
  // still listens until close.
  connect(options) {
    const given = typeof options === 'number' ? options : options && options.timeoutDelay;
    const delay = given === undefined || given === null ? this._timeout : timeoutFor(given, DEFAULT_TIMEOUT);
    this._listen();
    if (this._started) return Promise.resolve(this._wrapper);
    return new Promise((resolve, reject) => {
      const waiter = { resolve: () => resolve(this._wrapper), reject };
      if (delay >= 0) {
        waiter.timer = setTimeout(() => {
          if (this._waiters.delete(waiter)) reject('timeout');
        }, delay);
      }
      this._waiters.add(waiter);
      const stops = this._stops;
      this._request(IPCBUS_SERVICE_CALL_GETSTATUS, [], delay).then((status) => {
        if (status && status.started && this._stops === stops) this._onStart(status);
      }, (failure) => {
        // No listener: the service is not there yet; its start event will say.
        if (failure && failure.code === 'no-listener') return;
        if (this._waiters.delete(waiter)) {
          clearTimeout(waiter.timer);
          reject(errOf(failure));
        }
      });
    });
  }

  // close stops listening. As in the original it acts as a stop: a started
  // proxy emits service-event-stop; calls under way, calls waiting for the
  // start and connects under way reject with "Service '<name>' stopped".
  close() {
    if (!this._listening) return Promise.resolve();
    this._listening = false;
    this._client.removeListener(serviceEventChannel(this._name), this._onEvent);
    if (this._unwatch) this._unwatch();
    this._unwatch = null;
    const reason = stoppedMessage(this._name);
    const wasStarted = this._started;
    this._halt(reason);
    const waiters = [...this._waiters];
    this._waiters.clear();
    for (const w of waiters) {
      clearTimeout(w.timer);
      w.reject(reason);
    }
    const queue = this._queue;
    this._queue = [];
    for (const c of queue) {
      clearTimeout(c.timer);
      if (c.reject) c.reject(reason);
    }
    if (wasStarted) emitEach(this, IPCBUS_SERVICE_EVENT_STOP, []);
    return Promise.resolve();
  }

  // getStatus asks the service for its status, now, started or not.
  getStatus() {
    return this._request(IPCBUS_SERVICE_CALL_GETSTATUS, [], this._timeout).catch((f) => { throw errOf(f); });
  }

  // checkAvailability asks the hub whether the service is available: a
  // peer listens on its call channel and announced its start.
  checkAvailability() {
    return new Promise((resolve, reject) => {
      this._client.request(IPCBUS_CHANNEL_SERVICE_AVAILABLE, this._timeout, this._name)
        .then((r) => resolve(r.payload === true), (f) => reject(errOf(f)));
    });
  }

  // call calls a handler of the service and resolves with its result. A
  // call made while the service is not started waits for its start (in a
  // bounded queue). timeoutDelay covers the wait and the call; past it the
  // call rejects with 'timeout'. It rejects with the handler's error
  // message, 'Function unknown !', or "Service '<name>' stopped".
  call(handlerName, ...args) { return this.requestApply(handlerName, args); }
  apply(handlerName, args) { return this.requestApply(handlerName, args); }
  requestCall(handlerName, ...args) { return this.requestApply(handlerName, args); }

  requestApply(handlerName, args) {
    return new Promise((resolve, reject) => {
      this._enqueue({ handlerName: String(handlerName), args: args == null ? [] : args, resolve, reject });
    });
  }

  // sendCall calls a handler without waiting for, or getting, its result
  // (a send on the call channel). Made while the service is not started,
  // it waits as a call does, and is dropped past timeoutDelay.
  sendCall(handlerName, ...args) { this.sendApply(handlerName, args); }

  sendApply(handlerName, args) {
    this._enqueue({ handlerName: String(handlerName), args: args == null ? [] : args });
  }

  _enqueue(c) {
    c.deadline = this._timeout < 0 ? Infinity : now() + this._timeout;
    if (this._started) {
      this._run(c);
      return;
    }
    if (this._queue.length >= this._maxQueued) {
      if (c.reject) c.reject(QUEUE_FULL);
      else console.warn(`ipcbus: service '${this._name}': call of '${c.handlerName}' dropped: ${QUEUE_FULL}`);
      return;
    }
    this._queue.push(c);
    if (this._timeout >= 0) {
      c.timer = setTimeout(() => {
        const i = this._queue.indexOf(c);
        if (i < 0) return;
        this._queue.splice(i, 1);
        if (c.reject) c.reject('timeout');
      }, this._timeout);
    }
  }

  // _run sends a call to the started service, with what is left of its
  // deadline as the request's timeout.
  _run(c) {
    clearTimeout(c.timer);
    let timeout = -1;
    if (c.deadline !== Infinity) {
      timeout = Math.ceil(c.deadline - now());
      if (timeout <= 0) {
        if (c.reject) c.reject('timeout');
        return;
      }
    }
    const msg = { handlerName: c.handlerName, args: c.args };
    if (!c.reject) {
      try {
        this._client.send(serviceCallChannel(this._name), msg);
      } catch (err) {
        report(err);
      }
      return;
    }
    this._inflight.add(c);
    this._requestMsg(msg, timeout).then((value) => {
      if (this._inflight.delete(c)) c.resolve(value);
    }, (failure) => {
      if (this._inflight.delete(c)) c.reject(errOf(failure));
    });
  }

  // _request sends one call now and resolves with the payload; it rejects
  // with the client's failure ({err, code}) or what the client threw.
  _request(handlerName, args, timeout) {
    return this._requestMsg({ handlerName, args }, timeout);
  }

  _requestMsg(msg, timeout) {
    return new Promise((resolve, reject) => {
      this._client.request(serviceCallChannel(this._name), timeout, msg).then((r) => resolve(r.payload), reject);
    });
  }

  _listen() {
    if (this._listening) return;
    this._listening = true;
    const channel = serviceEventChannel(this._name);
    this._client.removeListener(channel, this._onEvent);
    this._client.on(channel, this._onEvent);
    this._unwatch = watchStatus(this._client, (ev) => this._onClientStatus(ev));
  }

  // _onClientStatus: the connection lost, the service stops for this
  // proxy (its calls under way reject, new ones wait for the start);
  // reconnected, the proxy asks the service's status again (a service not
  // back yet starts the proxy with its start event).
  _onClientStatus(ev) {
    if (!this._listening) return;
    if (ev.status === 'disconnected') {
      this._stops++;
      if (!this._started) return;
      this._halt(ev.reason ? ev.reason.message : 'disconnected');
      emitEach(this, IPCBUS_SERVICE_EVENT_STOP, []);
      return;
    }
    if (ev.status !== 'connected' || ev.attempt === 0 || this._started) return;
    const stops = this._stops;
    this._request(IPCBUS_SERVICE_CALL_GETSTATUS, [], this._timeout).then((status) => {
      if (status && status.started && this._stops === stops) this._onStart(status);
    }, () => {}); // not back yet (no-listener), or lost again: its start event will say
  }

  _onEvent(event, msg) {
    if (!this._listening || !msg || typeof msg !== 'object') return;
    const args = Array.isArray(msg.args) ? msg.args : [];
    switch (msg.eventName) {
      case IPCBUS_SERVICE_WRAPPER_EVENT: {
        const name = args[0];
        if (typeof name !== 'string') return;
        const wrapperArgs = Array.isArray(args[1]) ? args[1] : [];
        emitEach(this._wrapper, name, wrapperArgs);
        emitEach(this, name, wrapperArgs);
        break;
      }
      case IPCBUS_SERVICE_EVENT_START:
        this._onStart(args[0] && typeof args[0] === 'object' ? args[0] : { started: true, callHandlers: [], supportEventEmitter: false });
        break;
      case IPCBUS_SERVICE_EVENT_STOP:
        this._onStop();
        break;
      default:
        emitEach(this, msg.eventName, args);
    }
  }

  _onStart(status) {
    if (this._started || !this._listening) return;
    this._started = true;
    this._updateWrapper(status);
    emitEach(this, IPCBUS_SERVICE_EVENT_START, [status]);
    const waiters = [...this._waiters];
    this._waiters.clear();
    for (const w of waiters) {
      clearTimeout(w.timer);
      w.resolve();
    }
    const queue = this._queue;
    this._queue = [];
    for (const c of queue) {
      // A start listener may have closed the proxy or seen it stop.
      if (this._started) this._run(c);
      else this._queue.push(c);
    }
  }

  _onStop() {
    this._stops++;
    if (!this._started) return;
    this._halt(stoppedMessage(this._name));
    emitEach(this, IPCBUS_SERVICE_EVENT_STOP, []);
  }

  // _halt marks the service stopped and rejects the calls under way.
  _halt(reason) {
    this._started = false;
    const inflight = [...this._inflight];
    this._inflight.clear();
    for (const c of inflight) c.reject(reason);
  }

  // _updateWrapper gives the wrapper, for each handler the service lists,
  // name(...args) and request_name(...args) (call) and send_name(...args)
  // (sendCall). A name that is one of the wrapper's EventEmitter methods
  // gets only the prefixed forms.
  _updateWrapper(status) {
    const handlers = Array.isArray(status.callHandlers) ? status.callHandlers : [];
    for (const name of handlers) {
      if (typeof name !== 'string') continue;
      const request = (...args) => this.requestApply(name, args);
      if (!(name in EventEmitter.prototype)) this._wrapper[name] = request;
      this._wrapper[`request_${name}`] = request;
      this._wrapper[`send_${name}`] = (...args) => this.sendApply(name, args);
    }
  }
}

// CreateIpcBusService returns a stopped service named serviceName on
// client. The functions of serviceImpl (own and inherited, except
// 'constructor', names that start with '_' and EventEmitter methods)
// become call handlers, called with serviceImpl as this; when it has an
// emit, its emits reach the proxies while the service is started.
function CreateIpcBusService(client, serviceName, serviceImpl, options) {
  return new IpcBusService(client, serviceName, serviceImpl, options);
}

// CreateIpcBusServiceProxy returns a proxy of the service named
// serviceName, used through client; options: {timeoutDelay (ms; 0 or
// unset: 2000; below zero: none), maxQueuedCalls (1024)}.
/** @returns {import('../ipcbus.d.ts').IpcBusServiceProxy} */
function CreateIpcBusServiceProxy(client, serviceName, options) {
  return /** @type {any} */ (new IpcBusServiceProxy(client, serviceName, options));
}

// EventEmitter, as the typings see it (its methods are set by Object.assign).
const TypedEventEmitter = /** @type {import('../ipcbus.d.ts').IpcBusEventEmitterConstructor} */ (/** @type {any} */ (EventEmitter));

export { CreateIpcBusService, CreateIpcBusServiceProxy, TypedEventEmitter as EventEmitter, IPCBUS_SERVICE_EVENT_START, IPCBUS_SERVICE_EVENT_STOP, IPCBUS_SERVICE_WRAPPER_EVENT, IPCBUS_SERVICE_CALL_GETSTATUS };
