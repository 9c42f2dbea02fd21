// src/node/index.js: the package's Node entry (require('ipcbus') or import
// in Node and Electron's main process). Clients, services and proxies are
// the same JS as in pages; brokers and bridges start the ipcbus hub as a
// child process.
import * as ipcbusClient from '../client.js';
import * as ipcbusService from '../service.js';

export { CreateIpcBusClient, IpcBusClient } from './clients.js';
export { CreateIpcBusBroker, IpcBusBroker } from './broker.js';
export { CreateIpcBusBridge, IpcBusBridge } from './bridge.js';
export { PRELOAD_CHANNEL as IPCBUS_PRELOAD_CHANNEL, preloadConfigHandler, preloadArguments, pageOrigin } from './preload-config.js';
export {
  CreateIpcBusService, CreateIpcBusServiceProxy, EventEmitter,
  IPCBUS_SERVICE_EVENT_START, IPCBUS_SERVICE_EVENT_STOP, IPCBUS_SERVICE_WRAPPER_EVENT, IPCBUS_SERVICE_CALL_GETSTATUS,
} from '../service.js';

export const { IPCBUS_CHANNEL_QUERY_STATE, IPCBUS_CHANNEL_SERVICE_AVAILABLE, ActivateIpcBusTrace, IpcBusRequestError } = ipcbusClient;

// IsElectronCommonIpcAvailable: the bus is always reachable from Node.
export function IsElectronCommonIpcAvailable() { return true; }

export const IpcBusService = { Create: ipcbusService.CreateIpcBusService };
export const IpcBusServiceProxy = { Create: ipcbusService.CreateIpcBusServiceProxy };
