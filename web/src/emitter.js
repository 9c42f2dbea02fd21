// src/emitter.js: Node's EventEmitter semantics, written once, for the
// bus client's channels and for services and their proxies.
//
// Registry keeps the listeners of each event name in calling order: prepend,
// once removed before its call, an emit calls the listeners registered when
// it began, removeListener removes the last registration of the function.
// Its owner may hear when a name gets its first listener and loses its last
// one (a bus client tells the engine, which subscribes or unsubscribes, as
// the Go client does); nothing else of the listeners leaves JavaScript.
//
// An ES module; the build (build.mjs) bundles it.

/** @param {any} fn */
export function checkListener(fn) {
  if (typeof fn !== 'function') {
    throw new TypeError(`ipcbus: the "listener" argument must be of type function, got ${typeof fn}`);
  }
}

/** @typedef {(...args: any[]) => any} Fn */
/** @typedef {{fn: Fn, once: boolean}} Entry */

export class Registry {
  /**
   * @param {(name: any) => void} [onFirst] a name got its first listener
   * @param {(name: any) => void} [onLast] a name lost its last listener
   */
  constructor(onFirst, onLast) {
    /** @type {Map<any, Entry[]>} */
    this.byName = new Map();
    this.onFirst = onFirst || null;
    this.onLast = onLast || null;
    this.max = 10;
  }

  /** @param {any} name @param {Fn} fn @param {boolean} once @param {boolean} prepend */
  add(name, fn, once, prepend) {
    checkListener(fn);
    let list = this.byName.get(name);
    const first = !list;
    if (!list) this.byName.set(name, list = []);
    const entry = { fn, once };
    if (prepend) list.unshift(entry); else list.push(entry);
    if (first && this.onFirst) this.onFirst(name);
  }

  /** @param {any} name @param {Entry} entry */
  drop(name, entry) {
    const list = this.byName.get(name);
    const i = list ? list.indexOf(entry) : -1;
    if (i < 0) return;
    list.splice(i, 1);
    if (list.length === 0) {
      this.byName.delete(name);
      if (this.onLast) this.onLast(name);
    }
  }

  // remove drops the last registration of fn, as Node does.
  /** @param {any} name @param {Fn} fn */
  remove(name, fn) {
    checkListener(fn);
    const list = this.byName.get(name);
    if (!list) return;
    for (let i = list.length - 1; i >= 0; i--) {
      if (list[i].fn === fn) {
        this.drop(name, list[i]);
        return;
      }
    }
  }

  /** @param {any} [name] every name when undefined */
  removeAll(name) {
    const names = name === undefined ? [...this.byName.keys()] : this.byName.has(name) ? [name] : [];
    for (const n of names) {
      this.byName.delete(n);
      if (this.onLast) this.onLast(n);
    }
  }

  /** @param {any} name */
  count(name) {
    const list = this.byName.get(name);
    return list ? list.length : 0;
  }

  /** @param {any} name */
  fns(name) { return (this.byName.get(name) || []).map((e) => e.fn); }

  names() { return [...this.byName.keys()]; }

  /**
   * emit calls the listeners of name registered when it began with args
   * and this; a listener that throws is handed to onError, when given, and
   * the others still run; without onError it propagates, as in Node.
   * @param {any} self @param {any} name @param {any[]} args
   * @param {(err: any) => void} [onError]
   * @returns {boolean} whether there were listeners
   */
  emit(self, name, args, onError) {
    const list = this.byName.get(name);
    if (!list) return false;
    for (const entry of list.slice()) {
      if (entry.once) this.drop(name, entry);
      if (!onError) {
        entry.fn.apply(self, args);
        continue;
      }
      try {
        entry.fn.apply(self, args);
      } catch (err) {
        onError(err);
      }
    }
    return true;
  }
}

const REGISTRY = Symbol('ipcbus.listeners');

// registryOf returns an emitter's registry, made on first use so that a
// subclass that never called the constructor still works.
/** @param {any} emitter @returns {Registry} */
export function registryOf(emitter) {
  if (!Object.prototype.hasOwnProperty.call(emitter, REGISTRY)) {
    Object.defineProperty(emitter, REGISTRY, { value: new Registry() });
  }
  return emitter[REGISTRY];
}

// EventEmitter is Node's, over a Registry; 'error' without listeners
// throws. A function, so that both `class X extends EventEmitter` and
// `EventEmitter.call(this)` work.
/** @constructor */
export function EventEmitter() {
  registryOf(this);
}

Object.assign(EventEmitter.prototype, {
  /** @param {any} event @param {Fn} fn */
  on(event, fn) { registryOf(this).add(event, fn, false, false); return this; },
  /** @param {any} event @param {Fn} fn */
  addListener(event, fn) { registryOf(this).add(event, fn, false, false); return this; },
  /** @param {any} event @param {Fn} fn */
  once(event, fn) { registryOf(this).add(event, fn, true, false); return this; },
  /** @param {any} event @param {Fn} fn */
  prependListener(event, fn) { registryOf(this).add(event, fn, false, true); return this; },
  /** @param {any} event @param {Fn} fn */
  prependOnceListener(event, fn) { registryOf(this).add(event, fn, true, true); return this; },
  /** @param {any} event @param {Fn} fn */
  removeListener(event, fn) { registryOf(this).remove(event, fn); return this; },
  /** @param {any} event @param {Fn} fn */
  off(event, fn) { registryOf(this).remove(event, fn); return this; },
  /** @param {any} [event] */
  removeAllListeners(event) { registryOf(this).removeAll(event); return this; },
  /** @param {any} event @param {...any} args */
  emit(event, ...args) {
    if (registryOf(this).emit(this, event, args)) return true;
    if (event === 'error') {
      throw args[0] instanceof Error ? args[0] : new Error(`Unhandled error. (${String(args[0])})`);
    }
    return false;
  },
  /** @param {any} event */
  listenerCount(event) { return registryOf(this).count(event); },
  /** @param {any} event */
  listeners(event) { return registryOf(this).fns(event); },
  /** @param {any} event */
  rawListeners(event) { return registryOf(this).fns(event); },
  eventNames() { return registryOf(this).names(); },
  /** @param {number} n */
  setMaxListeners(n) { registryOf(this).max = n; return this; },
  getMaxListeners() { return registryOf(this).max; },
});
for (const name of Object.keys(EventEmitter.prototype)) {
  Object.defineProperty(EventEmitter.prototype, name, { enumerable: false });
}
