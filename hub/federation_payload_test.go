package hub_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/ipcbus/ipcbus/hub"
	"github.com/ipcbus/ipcbus/hub/hubtest"
	"github.com/ipcbus/ipcbus/shared/bus"
)

// Hubs whose embedded NATS servers form a cluster carry messages up to
// the hub's frame size: a 2 MiB send and request cross, over NATS's own
// 1 MB default.
func TestFederationEmbeddedCarriesLargeMessages(t *testing.T) {
	a := hubtest.Start(t, hub.Config{NATS: hub.NATSConfig{Embedded: true, ClusterAddr: "127.0.0.1:0", HubID: 1}})
	b := hubtest.Start(t, hub.Config{NATS: hub.NATSConfig{Embedded: true, ClusterAddr: "127.0.0.1:0", HubID: 2,
		Routes: []string{"nats-route://" + a.NATSClusterAddr()}}})
	ctx := fedCtx(t)
	ca := hubtest.Dial(t, a, "a", nil)
	cb := hubtest.Dial(t, b, "b", nil)
	echo(cb, "echo")
	awaitResponder(t, ca, bus.Target{}, "echo")
	big := bytes.Repeat([]byte{9}, 2<<20)
	resp, err := ca.Request(ctx, "echo", big)
	if err != nil {
		t.Fatal(err)
	}
	var got []byte
	if err := resp.Decode(&got); err != nil || !bytes.Equal(got, big) {
		t.Fatalf("2 MiB echoed across hubs: %d bytes, %v", len(got), err)
	}
}

// With a NATS server that takes 1 MB at most, a request too large to cross
// hubs, or whose answer is, fails with refused and says why, at once.
func TestFederationTooLargeForNATSIsRefused(t *testing.T) {
	hubs := fedHubs(t, natsCluster(t, 2))
	ctx := fedCtx(t)
	a := hubtest.Dial(t, hubs[0], "a", nil)
	b := hubtest.Dial(t, hubs[1], "b", nil)
	b.On("big answer", func(e *bus.Event) { e.Request.Resolve(bytes.Repeat([]byte{1}, 2<<20)) })
	echo(b, "echo")
	awaitResponder(t, a, bus.Target{}, "echo") // b's interest in both reached a's hub
	for _, tc := range []struct {
		channel string
		arg     any
		want    string
	}{
		{"echo", bytes.Repeat([]byte{1}, 2<<20), "request of"},
		{"big answer", "small", "answer of"},
	} {
		_, err := a.Request(ctx, tc.channel, tc.arg)
		if !errors.Is(err, bus.ErrRefused) || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "too large to cross hubs") {
			t.Errorf("%s: %v, want refused: %s ... too large to cross hubs", tc.channel, err, tc.want)
		}
	}
}
