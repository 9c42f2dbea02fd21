// Types of the ipcbus npm package. In a renderer: window.ElectronCommonIPC
// (and window.ElectronCommonIpc), defined by ipcbus-preload.bundle.js in the
// preload's world, and by ipcbus-page.bundle.js in a page (contextIsolation
// on) or a frame, over a MessagePort to the preload. In Node and Electron's
// main process: the package's exports (require('ipcbus') or import), the
// same client API plus IpcBusBroker and IpcBusBridge. The API follows
// electron-common-ipc's.

export type IpcBusProcessType = 'main' | 'renderer' | 'renderer-frame' | 'node' | 'hub';

export interface IpcBusProcess {
  type: IpcBusProcessType;
  pid: number;
  /** renderer (routing) id */
  rid?: number;
  /** webContents id */
  wcid?: number;
  frameid?: number;
  isMainFrame?: boolean;
}

export interface IpcBusPeer {
  /** assigned by the hub on connect; undefined before */
  id: number | undefined;
  name: string;
  process: IpcBusProcess;
  /** electron-common-ipc's peer.type: the process's type */
  type?: IpcBusProcessType;
}

/** sendTo/requestTo target: one peer, or every peer of a process (its set fields). */
export type IpcBusTarget = IpcBusPeer | { process: Partial<IpcBusProcess> } | Partial<IpcBusProcess>;

export interface IpcBusRequest {
  /** Answers the request; the first answer of any listener wins. Throws a TypeError if payload cannot be sent. */
  resolve(payload?: unknown): void;
  /** Fails the request; the requester gets `err` as its message (an Error's message, or String(err)). */
  reject(err: string | Error | unknown): void;
}

export interface IpcBusEvent {
  channel: string;
  sender: IpcBusPeer;
  /** set when the message is a request */
  request?: IpcBusRequest;
}

export interface IpcBusRequestResponse {
  event: { channel: string; sender: IpcBusPeer };
  payload: unknown;
}

/** What a request's Promise rejects with: electron-common-ipc's {event, err}, on an Error (IpcBusRequestError). */
export interface IpcBusRequestFailure extends Error {
  /** sender: the responder that rejected, or this client's own peer */
  event: { channel: string; sender: IpcBusPeer };
  /** the responder's reject message, 'timeout', or what went wrong */
  err: string;
  /**
   * 'rejected' | 'timeout' | 'no-listener' | 'responder-gone' | 'closed' | 'not-connected' | 'frame-too-large' |
   * 'outbound-full' | 'disconnected' (pending when the hub was lost: retryable, the client is reconnecting) |
   * 'reconnect-buffer-full' (made while reconnecting, past reconnectBufBytes) | ...
   */
  code: string;
}

export interface IpcBusConnectOptions {
  peerName?: string;
  /** ms; 0, undefined or null: 2000; below zero: no limit */
  timeoutDelay?: number;
  /** Node: the hub's TCP port (host: 127.0.0.1) */
  port?: number;
  /** Node: the hub's TCP host */
  host?: string;
  /** Node: the hub's Unix socket */
  path?: string;
  /** Node: the token the hub wants in hello (default: ?token= of the address, else $IPCBUS_TOKEN) */
  token?: string;
  /**
   * Reconnect when the hub is lost or closes with a code that says so
   * (its shutdown, a restart); default true. A terminal close (bad token,
   * protocol version, refused identity) never reconnects. The reconnect
   * options are those of Go's bus.Options, in ms and bytes; they belong to
   * the connection: in Node clients with other reconnect options get a
   * connection of their own, in a renderer the client that opens the
   * preload's connection sets them.
   */
  reconnect?: boolean;
  /** ms before the first attempt of an outage, doubled after each failed one; default 100 */
  reconnectWait?: number;
  /** ms, the bound of that wait; default 2000 */
  maxReconnectWait?: number;
  /** ms, the bound of a random wait added to each; default 100; 0: none */
  reconnectJitter?: number;
  /** attempts of one outage before the client closes; default 60; 0: as reconnect false; below zero or Infinity: no limit */
  maxReconnects?: number;
  /** bytes of sends and requests kept while reconnecting, sent in order once back; past it they fail ('reconnect-buffer-full'); default 8 MiB */
  reconnectBufBytes?: number;
}

/**
 * A client's status: 'idle' before connect, 'connecting' during it,
 * 'connected', 'disconnected' (the hub was lost; waiting before an
 * attempt), 'reconnecting' (an attempt under way), 'closed' (close(), the
 * connection ended for good, or connect failed).
 */
export type IpcBusStatus = 'idle' | 'connecting' | 'connected' | 'disconnected' | 'reconnecting' | 'closed';

/** What client.onStatus listeners get. */
export interface IpcBusStatusEvent {
  status: IpcBusStatus;
  /**
   * Why: for 'disconnected' the loss, for 'reconnecting' the previous
   * attempt's failure (or the loss), for 'closed' the end (undefined after
   * close()); code as a request failure's, closeCode the hub's close code
   * (4000-4999) when it gave one.
   */
  reason?: Error & { code: string; closeCode?: number };
  /** the attempts of this outage: 1 for the first 'reconnecting'; on 'connected' the one that succeeded (0: connect itself) */
  attempt: number;
  /** the client's peer: on 'connected' after a reconnect, with the id the new hub gave it */
  peer: IpcBusPeer;
}

export interface IpcBusCloseOptions {
  /** ms to wait for the engine; 0, undefined or null: 2000; below zero: no limit */
  timeoutDelay?: number;
}

export type IpcBusListener = (event: IpcBusEvent, ...args: any[]) => void;

/**
 * Values cross as msgpack: null/undefined (null), booleans, numbers (safe
 * integers stay integers), bigint, strings, Uint8Array/Buffer/ArrayBuffer
 * (arrive as Uint8Array), Date, arrays, Map and plain objects. A function,
 * a symbol or a cycle throws a TypeError at the sender.
 */
export interface IpcBusClient {
  /** This client's peer. After a reconnect a new object, with the id the new hub gave (ids are the hub's). */
  readonly peer: IpcBusPeer;
  readonly status: IpcBusStatus;
  /**
   * Calls listener at each change of status, in order with the client's
   * messages (a message received after 'connected' came from the new hub);
   * returns the function that removes it. Not an `on` event: channel
   * names are the app's.
   */
  onStatus(listener: (event: IpcBusStatusEvent) => void): () => void;

  /**
   * Joins the bus. In a renderer the preload knows the hub. In Node: with
   * no address, this process's broker or bridge, else $IPCBUS_ADDR, else
   * the default Unix socket; a path, "unix:PATH", "tcp:HOST:PORT",
   * "HOST:PORT", a port, or a ws:// URL.
   */
  connect(options?: IpcBusConnectOptions): Promise<void>;
  connect(port: number, options?: IpcBusConnectOptions): Promise<void>;
  connect(port: number, host?: string, options?: IpcBusConnectOptions): Promise<void>;
  connect(path: string, options?: IpcBusConnectOptions): Promise<void>;
  /** Leaves the bus; requests pending on this client fail with code 'closed'. */
  close(options?: IpcBusCloseOptions): Promise<void>;

  /**
   * Sends to every listener of channel (this client's included). Returns
   * false when not connected; throws when a value cannot be sent, when the
   * message is over the hub's frame limit ('frame-too-large'), or when the
   * outbound queue is full ('outbound-full'). The connection stays open.
   */
  send(channel: string, ...args: any[]): boolean;
  emit(channel: string, ...args: any[]): boolean;
  sendTo(target: IpcBusTarget, channel: string, ...args: any[]): boolean;

  /** timeoutDelay in ms: 0, undefined or null means 2000; below zero waits forever. */
  request(channel: string, timeoutDelay: number | null | undefined, ...args: any[]): Promise<IpcBusRequestResponse>;
  requestTo(target: IpcBusTarget, channel: string, timeoutDelay: number | null | undefined, ...args: any[]): Promise<IpcBusRequestResponse>;

  on(channel: string, listener: IpcBusListener): this;
  addListener(channel: string, listener: IpcBusListener): this;
  once(channel: string, listener: IpcBusListener): this;
  prependListener(channel: string, listener: IpcBusListener): this;
  prependOnceListener(channel: string, listener: IpcBusListener): this;
  off(channel: string, listener: IpcBusListener): this;
  removeListener(channel: string, listener: IpcBusListener): this;
  removeAllListeners(channel?: string): this;
  listenerCount(channel: string): number;
  listeners(channel: string): IpcBusListener[];
  rawListeners(channel: string): IpcBusListener[];
  eventNames(): string[];
  setMaxListeners(n: number): this;
  getMaxListeners(): number;

  /**
   * Attaches this client as a spy of the hub (docs/spy.md): listener gets
   * each event the hub routes that passes filter, in order, until the
   * returned function is called or the client closes. A reconnected
   * client attaches again by itself. One spy per client (a second rejects
   * with code 'spy-attached'); a filter the hub refuses rejects with code
   * 'refused'. timeoutDelay bounds the hub's answer, as request's.
   */
  spy(filter: IpcBusSpyFilter | null | undefined, listener: (event: IpcBusSpyEvent) => void, timeoutDelay?: number): Promise<() => void>;
}

/** Which events a spy gets: channel patterns ("*" one /-separated segment, "**" any number) and peers (names or ids). Empty: everything. */
export interface IpcBusSpyFilter {
  channels?: string[];
  peers?: Array<string | number>;
}

/** One thing the hub routed, as a spy sees it (docs/spy.md). */
export interface IpcBusSpyEvent {
  time: Date;
  kind: 'send' | 'request' | 'response' | 'port.message' | 'peer.join' | 'peer.leave' | 'slow-consumer';
  channel?: string;
  from?: IpcBusPeer;
  to?: IpcBusPeer[];
  size?: number;
  preview?: string;
  request?: number;
  status?: 'resolved' | 'rejected' | 'no-listener' | 'responder-gone' | 'refused';
  latencyMs?: number;
  conn?: number;
  reason?: string;
}

export interface ElectronCommonIPC {
  CreateIpcBusClient(options?: { peerName?: string }): IpcBusClient;
  /** electron-common-ipc's IpcBusClient.Create */
  readonly IpcBusClient: { Create(options?: { peerName?: string }): IpcBusClient };
  /** Logs one line per message in and out of every client (console.log), or stops. */
  ActivateIpcBusTrace(on: boolean): void;
  /** True: the API is there (and, in the preload's world, has its configuration). */
  IsElectronCommonIpcAvailable(): boolean;
  /**
   * The preload's world only: installs the API (what the preload bundle does
   * when it loads) with IPCBUS_CONFIG's fields; true once installed with a
   * configuration, and calling it again then does nothing.
   */
  PreloadElectronCommonIpc?(config?: { url?: string; token?: string; wasm?: string; name?: string }): boolean;
  readonly IPCBUS_CHANNEL_QUERY_STATE: '/electron-common-ipc/queryState';
  readonly IPCBUS_CHANNEL_SERVICE_AVAILABLE: '/electron-common-ipc/serviceAvailable';
  /** resolves once client.wasm runs */
  readonly ready: Promise<void>;
  /** ms spent fetching and starting client.wasm, once ready */
  readonly loadMillis: number | undefined;
  /** the hub's WebSocket URL, without the token */
  readonly hubURL: string | undefined;
  /** set when the preload found no configuration */
  readonly error?: Error;
}

/** The hub's answer to a request on IPCBUS_CHANNEL_QUERY_STATE. */
export interface IpcBusHubState {
  hub: string;
  /** the hub's listeners and the addresses clients dial, without the token */
  listeners: { unix?: string; tcp?: string; ws?: string };
  connections: Array<{
    id: number;
    transport: 'unix' | 'tcp' | 'ws';
    remote: string;
    process: IpcBusProcess;
    since: Date;
    peers: Array<IpcBusPeer & { subscriptions: string[] }>;
  }>;
  channels: Array<{ channel: string; peers: number }>;
}

declare global {
  interface Window {
    ElectronCommonIPC: ElectronCommonIPC;
    /** electron-common-ipc 16's name of the same API */
    ElectronCommonIpc: ElectronCommonIPC;
  }
}

// ---------------------------------------------------------------------------
// Services and service proxies: ipcbus-service.js, electron-common-ipc's
// IpcBusService and IpcBusServiceProxy in plain JS over any IpcBusClient
// (the preload's, or a page's over its MessagePort). Same protocol as the
// Go engine's bus.Service and bus.ServiceProxy: they interoperate.
// ---------------------------------------------------------------------------

/** The part of Node's EventEmitter that services and proxies use, with its semantics. */
export interface IpcBusEventEmitter {
  on(event: string, listener: (...args: any[]) => void): this;
  addListener(event: string, listener: (...args: any[]) => void): this;
  once(event: string, listener: (...args: any[]) => void): this;
  prependListener(event: string, listener: (...args: any[]) => void): this;
  prependOnceListener(event: string, listener: (...args: any[]) => void): this;
  off(event: string, listener: (...args: any[]) => void): this;
  removeListener(event: string, listener: (...args: any[]) => void): this;
  removeAllListeners(event?: string): this;
  /** Calls the listeners in order; a listener's exception propagates; 'error' without listeners throws. */
  emit(event: string, ...args: any[]): boolean;
  listenerCount(event: string): number;
  listeners(event: string): Array<(...args: any[]) => void>;
  rawListeners(event: string): Array<(...args: any[]) => void>;
  eventNames(): string[];
  setMaxListeners(n: number): this;
  getMaxListeners(): number;
}

/** `class MyService extends ElectronCommonIPC.EventEmitter {...}`, or `EventEmitter.call(this)`. */
export interface IpcBusEventEmitterConstructor {
  new (): IpcBusEventEmitter;
  readonly prototype: IpcBusEventEmitter;
}

/** What a service says of itself: in its start event and in answer to getStatus. */
export interface IpcBusServiceStatus {
  started: boolean;
  /** handler names, in registration order, without those starting with '_' */
  callHandlers: string[];
  /** the outer instance has an emit, hooked while started */
  supportEventEmitter: boolean;
}

export interface IpcBusServiceOptions {
  /** Calls whose result is a pending Promise, at most; past it a call rejects with 'ipcbus: service busy: N calls running'. Default 1024. */
  maxConcurrentCalls?: number;
}

export interface IpcBusService {
  /**
   * Listens for calls, hooks the outer instance's emit (its events then also
   * reach the proxies as wrapper events) and sends service-event-start with
   * the status. Call it once the client is connected. Starting again resends
   * the start event.
   */
  start(): void;
  /**
   * Sends service-event-stop, stops listening, unhooks emit, and rejects the
   * calls still running with "Service '<name>' stopped". Does nothing when stopped.
   */
  stop(): void;
  /**
   * Makes handler answer calls to name, with the outer instance as `this`.
   * Its value resolves the call, a returned Promise settles it, a throw or
   * rejection rejects it with the error's message. Names starting with '_'
   * are callable but not listed in the status.
   */
  registerCallHandler(name: string, handler: (...args: any[]) => unknown): void;
  unregisterCallHandler(name: string): void;
  /** Sends an event to the proxies, which emit it with args; false when the client is not connected. */
  sendEvent(eventName: string, ...args: any[]): boolean;
}

export interface IpcBusServiceProxyOptions {
  /**
   * ms that each call (the wait for the service to start and the answer),
   * connect and getStatus may take; 0, undefined or null: 2000; below zero:
   * no limit. Past it they reject with 'timeout'.
   */
  timeoutDelay?: number;
  /** Calls waiting for the service to start, at most; past it a call rejects with 'ipcbus: too many calls waiting for the service to start'. Default 1024. */
  maxQueuedCalls?: number;
}

/**
 * The wrapper: for each handler the service lists, `name(...args)` and
 * `request_name(...args)` (a call) and `send_name(...args)` (a call without
 * answer); and EventEmitter methods that get the service's wrapper events
 * (what its outer instance emits).
 */
export type IpcBusServiceWrapper = IpcBusEventEmitter & { [handler: string]: any };

/**
 * A proxy's Promises reject as electron-common-ipc's do: with a string (the
 * handler's error message, 'Function unknown !', "Service '<name>' stopped",
 * 'timeout', or the request's err), or with an Error a local bug threw
 * (an argument that cannot be sent).
 */
export type IpcBusServiceFailure = string | Error;

/**
 * An EventEmitter of the service's events: service-event-start (with the
 * status), service-event-stop (no argument), the events the service sends,
 * and its wrapper events by their own names.
 */
export interface IpcBusServiceProxy extends IpcBusEventEmitter {
  readonly isStarted: boolean;
  readonly wrapper: IpcBusServiceWrapper;
  /**
   * Listens to the service and resolves with the wrapper once it is started,
   * waiting for its start if needed; timeoutDelay: a number or {timeoutDelay},
   * by default the proxy's.
   */
  connect<R = IpcBusServiceWrapper>(options?: number | { timeoutDelay?: number }): Promise<R>;
  /** Stops listening; acts as a stop: service-event-stop if started, pending calls and connects reject. */
  close(): Promise<void>;
  getWrapper<R = IpcBusServiceWrapper>(): R;
  /** Asks the service, now. */
  getStatus(): Promise<IpcBusServiceStatus>;
  /** Asks the hub whether the service is available (started and listening). */
  checkAvailability(): Promise<boolean>;
  /** Calls a handler; made before the service starts, it waits (bounded, within timeoutDelay). */
  call<R = any>(handlerName: string, ...args: any[]): Promise<R>;
  apply<R = any>(handlerName: string, args?: any[]): Promise<R>;
  requestCall<R = any>(handlerName: string, ...args: any[]): Promise<R>;
  requestApply<R = any>(handlerName: string, args?: any[]): Promise<R>;
  /** Calls a handler without waiting for its answer. */
  sendCall(handlerName: string, ...args: any[]): void;
  sendApply(handlerName: string, args?: any[]): void;
}

export interface ElectronCommonIPC {
  /**
   * A stopped service named serviceName. The functions of serviceImpl (own
   * and inherited, except 'constructor', names starting with '_' and
   * EventEmitter methods) become call handlers.
   */
  CreateIpcBusService(client: IpcBusClient, serviceName: string, serviceImpl?: object | null, options?: IpcBusServiceOptions): IpcBusService;
  CreateIpcBusServiceProxy(client: IpcBusClient, serviceName: string, options?: IpcBusServiceProxyOptions): IpcBusServiceProxy;
  readonly EventEmitter: IpcBusEventEmitterConstructor;
  readonly IPCBUS_SERVICE_EVENT_START: 'service-event-start';
  readonly IPCBUS_SERVICE_EVENT_STOP: 'service-event-stop';
  readonly IPCBUS_SERVICE_WRAPPER_EVENT: 'service-wrapper-event';
  readonly IPCBUS_SERVICE_CALL_GETSTATUS: '__getServiceStatus';
}

// ---------------------------------------------------------------------------
// Pages, frames and MessagePorts (ipcbus-host.js in the preload,
// ipcbus-page.js in pages and frames). The same API in every world; the
// page's and the frames' clients are peers of the renderer's one
// connection. See docs/electron.md.
// ---------------------------------------------------------------------------

export interface IpcBusEvent {
  /**
   * The ports transferred with the message (postMessage), when there are
   * any: the sender's own ports when it is a peer of this renderer, else
   * ports the hub relays (their messages cross as msgpack values).
   */
  ports?: MessagePort[];
}

export interface IpcBusClient {
  /**
   * Sends message on channel with ports transferred: the listener that
   * gets them (one peer: of this renderer when one listens, else the first
   * the hub finds) has them in event.ports; other listeners get the message
   * alone. Returns false when not connected; throws a TypeError when a port
   * is not a MessagePort or is listed twice, or the message cannot be sent.
   * Ports cannot go with send or request (a TypeError).
   */
  postMessage(channel: string, message: unknown, ports?: MessagePort[]): boolean;
  postMessageTo(target: IpcBusTarget, channel: string, message: unknown, ports?: MessagePort[]): boolean;
}

export interface ElectronCommonIPC {
  /**
   * Lets iframe (an element of this document, in it or not yet) have a
   * port: the documents it loads (of any origin, sandboxed ones included)
   * become peers of type 'renderer-frame'. The preload's frame origins
   * (--ipcbus-frames, IPCBUS_CONFIG.frames) grant by origin. A frame's
   * connect fails with code 'not-granted' after its timeoutDelay when
   * nobody grants it. Rejects in a frame.
   */
  grantFrame(iframe: HTMLIFrameElement): Promise<void>;
  /** ipcbus-page.bundle.js only: true in a frame, false in the top page */
  readonly frame?: boolean;
}


// ---- The package's exports (Node, Electron's main process) ----

export interface IpcBusClientOptions {
  peerName?: string;
}

export declare function CreateIpcBusClient(options?: IpcBusClientOptions): IpcBusClient;
/** electron-common-ipc's IpcBusClient.Create */
export declare const IpcBusClient: { Create(options?: IpcBusClientOptions): IpcBusClient };

/** What a request rejects with: `instanceof Error`, with electron-common-ipc's event and err. */
export declare class IpcBusRequestError extends Error implements IpcBusRequestFailure {
  event: { channel: string; sender: IpcBusPeer };
  err: string;
  code: string;
}

export interface IpcBusBrokerConnectOptions {
  /** a TCP port (0: a free one) */
  port?: number;
  /** the TCP listener's host (default 127.0.0.1) */
  host?: string;
  /** a Unix socket path */
  path?: string;
  /** ms the hub may take to listen; at least 5000 */
  timeoutDelay?: number;
}

/**
 * The hub of this process, run as a child process (the package's
 * bin/ipcbus, or $IPCBUS_BIN) that stops when this process ends, killed or
 * not. Clients of this process that connect with no address join it; child
 * processes find it through IPCBUS_ADDR.
 */
export interface IpcBusBroker {
  /** Resolves with the hub's address once it listens; rejects with the hub's own error (address in use, ...). With no address: a Unix socket in a private temp folder. */
  connect(options?: IpcBusBrokerConnectOptions): Promise<string>;
  connect(path: string, options?: IpcBusBrokerConnectOptions): Promise<string>;
  connect(port: number, options?: IpcBusBrokerConnectOptions): Promise<string>;
  connect(port: number, host?: string, options?: IpcBusBrokerConnectOptions): Promise<string>;
  /** Stops the hub once the last broker or bridge of this process closes. */
  close(options?: IpcBusCloseOptions): Promise<void>;
  /** The hub's state: connections, peers, subscriptions. */
  queryState(): Promise<IpcBusHubState>;
  /** Whether a service of that name is started on the hub. */
  isServiceAvailable(serviceName: string): Promise<boolean>;
  /** the hub process's pid, once connected */
  readonly pid: number | undefined;
}
export interface IpcBusBrokerOptions {
  /** the page origins the hub's WebSocket listener allows beside its own ("file://", "app://myapp") */
  allowOrigins?: string[];
}
export declare function CreateIpcBusBroker(options?: IpcBusBrokerOptions): IpcBusBroker;
export declare const IpcBusBroker: { Create(options?: IpcBusBrokerOptions): IpcBusBroker };

/** What a renderer's preload needs to join the bridge's hub (IPCBUS_CONFIG, or the preload's arguments). */
export interface IpcBusBridgeConfig {
  /** the hub's WebSocket URL, without the token */
  url: string;
  token: string;
}

/**
 * The WebSocket listener for renderers: the one of this process's hub (the
 * broker's when one runs, else a hub the bridge starts), or, connected
 * to the address of a hub another process started (the hybrid app), that
 * hub's own listener with its token.
 */
export interface IpcBusBridge {
  connect(options?: IpcBusBrokerConnectOptions): Promise<void>;
  connect(path: string, options?: IpcBusBrokerConnectOptions): Promise<void>;
  connect(port: number, options?: IpcBusBrokerConnectOptions): Promise<void>;
  connect(port: number, host?: string, options?: IpcBusBrokerConnectOptions): Promise<void>;
  close(options?: IpcBusCloseOptions): Promise<void>;
  /** set once connected */
  readonly config: IpcBusBridgeConfig | undefined;
  /** the fallback for webPreferences.additionalArguments: the hub URL and the frame origins, never the token */
  readonly additionalArguments: string[];
  /** what ipcMain.handle(IPCBUS_PRELOAD_CHANNEL) runs (connect registers it with Electron's ipcMain) */
  handlePreload(event: IpcBusPreloadEvent): IpcBusPreloadConfig;
}

/** Which pages' preloads get the configuration: origins ("file://", "app://myapp"), RegExps of the URL, or functions of it. */
export type IpcBusAllowedPages = Array<string | RegExp | ((url: string) => boolean)>;

export interface IpcBusBridgeOptions {
  /** default ["file://"]; the origins among them are allowed by the hub the bridge starts */
  allowedPages?: IpcBusAllowedPages;
  /** the origins of the frames the preloads grant without grantFrame */
  frames?: string[];
  /** the default peer name of the renderers' clients */
  name?: string;
  /** Electron's ipcMain; found by itself in Electron's main process */
  ipcMain?: { handle(channel: string, fn: (event: any) => any): void; removeHandler(channel: string): void };
}

/** The parts of Electron's IpcMainInvokeEvent the bridge reads. */
export interface IpcBusPreloadEvent {
  sender?: { id?: number };
  senderFrame?: { url?: string; routingId?: number; osProcessId?: number } | null;
  frameId?: number;
  processId?: number;
}

/** What a preload gets from the main process. */
export interface IpcBusPreloadConfig extends IpcBusBridgeConfig {
  process: { wcid?: number; rid?: number; pid?: number };
  frames?: string[];
  name?: string;
}

export declare function CreateIpcBusBridge(options?: IpcBusBridgeOptions): IpcBusBridge;
export declare const IpcBusBridge: { Create(options?: IpcBusBridgeOptions): IpcBusBridge };
/** The ipcRenderer.invoke channel the preload asks its configuration on. */
export declare const IPCBUS_PRELOAD_CHANNEL: string;
export declare function preloadConfigHandler(config: () => IpcBusBridgeConfig | undefined, options?: IpcBusBridgeOptions): (event: IpcBusPreloadEvent) => IpcBusPreloadConfig;
export declare function preloadArguments(config: () => IpcBusBridgeConfig | undefined, options?: IpcBusBridgeOptions): string[];
/** A page URL's origin as Electron sends it: "file://" for file:, "app://host" for a custom scheme. */
export declare function pageOrigin(url: string): string;

export declare function CreateIpcBusService(client: IpcBusClient, serviceName: string, serviceImpl?: object | null, options?: IpcBusServiceOptions): IpcBusService;
export declare function CreateIpcBusServiceProxy(client: IpcBusClient, serviceName: string, options?: IpcBusServiceProxyOptions): IpcBusServiceProxy;
export declare const IpcBusService: { Create: typeof CreateIpcBusService };
export declare const IpcBusServiceProxy: { Create: typeof CreateIpcBusServiceProxy };
export declare const EventEmitter: IpcBusEventEmitterConstructor;
export declare function ActivateIpcBusTrace(on: boolean): void;
export declare function IsElectronCommonIpcAvailable(): boolean;
export declare const IPCBUS_CHANNEL_QUERY_STATE: '/electron-common-ipc/queryState';
export declare const IPCBUS_CHANNEL_SERVICE_AVAILABLE: '/electron-common-ipc/serviceAvailable';
export declare const IPCBUS_SERVICE_EVENT_START: 'service-event-start';
export declare const IPCBUS_SERVICE_EVENT_STOP: 'service-event-stop';
export declare const IPCBUS_SERVICE_WRAPPER_EVENT: 'service-wrapper-event';
export declare const IPCBUS_SERVICE_CALL_GETSTATUS: '__getServiceStatus';
