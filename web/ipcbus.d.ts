// Types of the ipcbus renderer API: window.ElectronCommonIPC, defined by
// ipcbus-preload.bundle.js. The API follows electron-common-ipc's.

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

/** What a request's Promise rejects with (a plain object, as electron-common-ipc). */
export interface IpcBusRequestFailure {
  /** sender: the responder that rejected, or this client's own peer */
  event: { channel: string; sender: IpcBusPeer };
  /** the responder's reject message, 'timeout', or what went wrong */
  err: string;
  /** 'rejected' | 'timeout' | 'no-listener' | 'responder-gone' | 'closed' | 'not-connected' | 'frame-too-large' | 'outbound-full' | ... */
  code: string;
}

export interface IpcBusConnectOptions {
  peerName?: string;
  /** ms; 0, undefined or null: 2000; below zero: no limit */
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
  readonly peer: IpcBusPeer;

  connect(options?: IpcBusConnectOptions): Promise<void>;
  connect(handle: unknown, options?: IpcBusConnectOptions): Promise<void>;
  /** Leaves the bus; requests pending on this client fail with code 'closed'. */
  close(): Promise<void>;

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
}

export interface ElectronCommonIPC {
  CreateIpcBusClient(options?: { peerName?: string }): IpcBusClient;
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
  }
}
