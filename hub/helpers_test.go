package hub_test

import (
	"context"
	"testing"
	"time"

	"github.com/ipcbus/ipcbus/hub"
	"github.com/ipcbus/ipcbus/hub/hubtest"
	"github.com/ipcbus/ipcbus/nativeclient"
	"github.com/ipcbus/ipcbus/shared/bus"
	"github.com/ipcbus/ipcbus/shared/wire"
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

// intsOn returns a channel (buffered n) of the int that each message on
// channel carries first, as c's listener gets them.
func intsOn(c *bus.Client, channel string, n int) chan int {
	got := make(chan int, n)
	c.On(channel, func(e *bus.Event) {
		var i int
		e.Args(&i)
		got <- i
	})
	return got
}

// rawSends returns the stream frames of sends on channel from peer, one
// per id (each carrying it), for a raw connection to write at once.
func rawSends(t *testing.T, peer uint64, channel string, ids ...int) []byte {
	t.Helper()
	var all []byte
	for _, i := range ids {
		f, err := wire.Append(nil, &wire.Frame{Kind: wire.KindSend, Channel: channel, Peer: peer, Body: body(t, []any{i})})
		if err != nil {
			t.Fatal(err)
		}
		all = append(append(all, wire.AppendStreamHeader(nil, len(f))...), f...)
	}
	return all
}
