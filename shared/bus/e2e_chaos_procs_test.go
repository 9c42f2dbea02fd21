//go:build !js

package bus_test

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/ipcbus/ipcbus/hub"
	"github.com/ipcbus/ipcbus/shared/bus"
	"github.com/ipcbus/ipcbus/shared/wire"
)

// TestChaosClientProcesses is the chaos of issue 12 with processes: 20
// client processes (clientproc_test.go) make requests while the hub, a
// process too, is killed (SIGKILL) and started again on the same socket
// 10 times (in about 10 s, within the 60). Every request settles
// by its deadline (with room for a loaded machine), every client ends
// connected to the last hub, and that hub's state shows exactly the live
// peers, with the ids they know.
func TestChaosClientProcesses(t *testing.T) {
	const (
		clients  = 20
		restarts = 10
	)
	path := filepath.Join(t.TempDir(), "hub.sock")
	hp := startHubProc(t, path)
	defer func() { hp.stop(false) }()
	addr := "unix:" + path
	procs := make([]*clientProc, clients)
	for i := range procs {
		procs[i] = startClientProc(t, addr, fmt.Sprintf("p%02d", i))
	}
	for _, p := range procs {
		p.waitReady(t)
	}

	begin := time.Now()
	for range restarts {
		time.Sleep(time.Duration(300+rand.IntN(500)) * time.Millisecond) // traffic
		hp.stop(true)                                                    // SIGKILL
		time.Sleep(time.Duration(50+rand.IntN(150)) * time.Millisecond)  // the outage
		hp = startHubProc(t, path)
	}
	took := time.Since(begin)
	begin = time.Now()

	// Each process answers over the last hub with its peer as it knows it.
	ctx := ctxT(t)
	me := dialTo(t, addr, &bus.Options{Name: "checker", ReconnectWait: 10 * time.Millisecond})
	want := []string{fmt.Sprintf("checker#%d", me.Peer().ID)}
	for _, p := range procs {
		var peer bus.Peer
		var err error
		for deadline := time.Now().Add(30 * time.Second); ; {
			var resp *bus.Response
			if resp, err = me.Request(ctx, "chaos/whoami/"+p.name); err == nil {
				err = resp.Decode(&peer)
			}
			if err == nil || time.Now().After(deadline) {
				break
			}
			time.Sleep(10 * time.Millisecond) // not reconnected yet: ask again
		}
		if err != nil {
			t.Fatalf("%s does not answer over the last hub: %v", p.name, err)
		}
		want = append(want, fmt.Sprintf("%s#%d", peer.Name, peer.ID))
	}
	resp, err := me.Request(ctx, wire.ChannelQueryState)
	if err != nil {
		t.Fatalf("hub state: %v", err)
	}
	var state hub.State
	if err := resp.Decode(&state); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range state.Connections {
		for _, p := range c.Peers {
			got = append(got, fmt.Sprintf("%s#%d", p.Name, p.ID))
		}
	}
	sort.Strings(want)
	sort.Strings(got)
	if fmt.Sprint(want) != fmt.Sprint(got) {
		t.Fatalf("the last hub's peers %v, want %v", got, want)
	}

	settled := time.Since(begin)
	total := map[string]int{}
	for _, p := range procs {
		p.end()
	}
	for _, p := range procs {
		s := p.finish(t)
		if s.Status != "connected" {
			t.Errorf("%s ended %s", p.name, s.Status)
		}
		if len(s.Late) > 0 {
			t.Errorf("%s: %d requests settled past their deadline: %v", p.name, len(s.Late), s.Late[:min(len(s.Late), 3)])
		}
		for o, n := range s.Outcomes {
			total[o] += n
		}
	}
	t.Logf("%d client processes, %d hub kills in %v, all back and checked %v later; request outcomes %v", clients, restarts, took.Round(time.Millisecond), settled.Round(time.Millisecond), total)
	for o, n := range total {
		if o != "ok" && o != "disconnected" && o != "timeout" && o != "no responder yet" {
			t.Errorf("%d requests failed with %s", n, o)
		}
	}
	if total["ok"] == 0 {
		t.Fatal("no request succeeded")
	}
}
