package hub_test

import (
	"context"
	"time"

	"github.com/ipcbus/ipcbus/hub"
	"github.com/ipcbus/ipcbus/hub/hubtest"
	"github.com/ipcbus/ipcbus/nativeclient"
	"github.com/ipcbus/ipcbus/shared/bus"
)

func nativeDial(h *hub.Hub, opts *bus.Options) (*bus.Client, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return nativeclient.Dial(ctx, hubtest.Addr(h), opts)
}

func nativeDialAddr(ctx context.Context, addr string) (*bus.Client, error) {
	return nativeclient.Dial(ctx, addr, nil)
}

// channelPeers returns the number of peers subscribed to channel in h's
// state.
func channelPeers(h *hub.Hub, channel string) int {
	for _, c := range h.State().Channels {
		if c.Channel == channel {
			return c.Peers
		}
	}
	return 0
}
