// The typings (ipcbus.d.ts) against the code: each export of the Node
// entry must be assignable to what the typings say it is. `tsc -p
// tsconfig.json` checks it (make node-test).
import * as impl from '../../src/node/index.js';
import type * as api from '../../ipcbus.d.ts';

export const contract: {
  [K in keyof typeof api]: (typeof api)[K];
} = {
  CreateIpcBusClient: impl.CreateIpcBusClient,
  IpcBusClient: impl.IpcBusClient,
  IpcBusRequestError: impl.IpcBusRequestError,
  CreateIpcBusBroker: impl.CreateIpcBusBroker,
  IpcBusBroker: impl.IpcBusBroker,
  CreateIpcBusBridge: impl.CreateIpcBusBridge,
  IpcBusBridge: impl.IpcBusBridge,
  IPCBUS_PRELOAD_CHANNEL: impl.IPCBUS_PRELOAD_CHANNEL,
  preloadConfigHandler: impl.preloadConfigHandler,
  preloadArguments: impl.preloadArguments,
  pageOrigin: impl.pageOrigin,
  CreateIpcBusService: impl.CreateIpcBusService,
  CreateIpcBusServiceProxy: impl.CreateIpcBusServiceProxy,
  IpcBusService: impl.IpcBusService,
  IpcBusServiceProxy: impl.IpcBusServiceProxy,
  EventEmitter: impl.EventEmitter,
  ActivateIpcBusTrace: impl.ActivateIpcBusTrace,
  IsElectronCommonIpcAvailable: impl.IsElectronCommonIpcAvailable,
  IPCBUS_CHANNEL_QUERY_STATE: '/electron-common-ipc/queryState',
  IPCBUS_CHANNEL_SERVICE_AVAILABLE: '/electron-common-ipc/serviceAvailable',
  IPCBUS_SERVICE_EVENT_START: 'service-event-start',
  IPCBUS_SERVICE_EVENT_STOP: 'service-event-stop',
  IPCBUS_SERVICE_WRAPPER_EVENT: 'service-wrapper-event',
  IPCBUS_SERVICE_CALL_GETSTATUS: '__getServiceStatus',
};
