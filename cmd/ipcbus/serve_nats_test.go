package main

import (
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ipcbus/ipcbus/hub/hubtest"
	"github.com/ipcbus/ipcbus/nativeclient"
	"github.com/ipcbus/ipcbus/shared/bus"
)

// TestServeNATSEmbeddedCluster: two `ipcbus serve --nats-embedded` hubs,
// the second routed to the first's cluster listener, carry a send from a
// client of one to a listener of the other.
func TestServeNATSEmbeddedCluster(t *testing.T) {
	dir := t.TempDir()
	sockA, sockB := filepath.Join(dir, "a.sock"), filepath.Join(dir, "b.sock")
	linesA := background(t, "serve", "--unix", sockA, "--tcp", "", "--nats-embedded", "--nats-cluster", "127.0.0.1:0", "--nats-hub-id", "7")
	route := ""
	re := regexp.MustCompile(`nats-route://[0-9.]+:[0-9]+`)
	for l := range linesA {
		if strings.HasPrefix(l, "Federated over NATS as hub 7") {
			route = re.FindString(l)
			break
		}
	}
	if route == "" {
		t.Fatal("serve did not tell its route address")
	}
	linesB := background(t, "serve", "--unix", sockB, "--tcp", "", "--nats-embedded", "--nats-cluster", "127.0.0.1:0", "--nats-routes", route)
	for l := range linesB {
		if strings.HasPrefix(l, "Federated over NATS") {
			break
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	a, err := nativeclient.Dial(ctx, "unix:"+sockA, &bus.Options{Name: "a"})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := nativeclient.Dial(ctx, "unix:"+sockB, &bus.Options{Name: "b"})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if a.Peer().ID>>32 != 7 {
		t.Errorf("peer id %#x without hub id 7", a.Peer().ID)
	}
	got := make(chan string, 100)
	a.On("greeting", func(e *bus.Event) {
		var s string
		e.Args(&s)
		got <- s
	})
	hubtest.Eventually(t, 10*time.Second, "the send across the embedded cluster", func() bool {
		if err := b.Send(ctx, "greeting", "hello"); err != nil {
			t.Fatal(err)
		}
		return len(got) > 0
	})
	if s := <-got; s != "hello" {
		t.Errorf("got %q", s)
	}
}

func TestServeNATSFlagErrors(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "hub.sock")
	if _, errs, code := runErr(t, "serve", "--unix", sock, "--tcp", "", "--nats-routes", "nats-route://127.0.0.1:1"); code != exitUsage || !strings.Contains(errs, "Embedded") {
		t.Errorf("--nats-routes without --nats-embedded: exit %d, stderr %q", code, errs)
	}
	if _, errs, code := runErr(t, "serve", "--unix", sock, "--tcp", "", "--nats-embedded", "--nats-hub-id", "2000000"); code != exitUsage || !strings.Contains(errs, "HubID") {
		t.Errorf("--nats-hub-id over the limit: exit %d, stderr %q", code, errs)
	}
}
