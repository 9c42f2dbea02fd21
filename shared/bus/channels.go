package bus

import "github.com/ipcbus/ipcbus/shared/wire"

// Channels the hub answers itself, as requests (electron-common-ipc's
// names where the original has them).
const (
	// ChannelQueryState answers the hub's state: its connections with
	// their peers and subscriptions, and each channel with its number of
	// subscribed peers (hub.State, as msgpack maps with the JSON names).
	ChannelQueryState = wire.ChannelQueryState
	// ChannelServiceAvailable answers true when the service named by the
	// first argument (a name, or a map with "name") is started and listens
	// for calls.
	ChannelServiceAvailable = wire.ChannelServiceAvailable
	// ChannelQueryServices answers the services the hub knows started:
	// each with its name, its peer, its call handlers and
	// supportEventEmitter (hub.ServiceState).
	ChannelQueryServices = wire.ChannelQueryServices
)
