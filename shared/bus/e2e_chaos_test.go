//go:build !js

package bus_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ipcbus/ipcbus/hub"
	"github.com/ipcbus/ipcbus/hub/hubtest"
	"github.com/ipcbus/ipcbus/shared/bus"
	"github.com/ipcbus/ipcbus/shared/wire"
)

// TestChaosHubKilledAndRestarted kills the hub, a process of its own, with
// SIGKILL and starts a new one on the same socket 10 times, under 20
// clients making requests throughout. Every request settles by its
// deadline, every client ends connected, and the last hub knows exactly
// the live peers. The clients are 20 connections of this test process,
// each with its own engine, rather than 20 processes.
func TestChaosHubKilledAndRestarted(t *testing.T) {
	const (
		clients  = 20
		restarts = 10
		deadline = 300 * time.Millisecond
	)
	path := filepath.Join(t.TempDir(), "hub.sock")
	hp := startHubProc(t, path)
	defer func() { hp.stop(false) }()
	addr := "unix:" + path
	ctx := ctxT(t)
	cls := make([]*bus.Client, clients)
	for i := range cls {
		opts := &bus.Options{Name: fmt.Sprintf("c%02d", i), ReconnectWait: 10 * time.Millisecond, MaxReconnectWait: 100 * time.Millisecond, ReconnectJitter: 20 * time.Millisecond, MaxReconnects: -1}
		cls[i] = dialTo(t, addr, opts)
		cls[i].On("chaos/echo", func(e *bus.Event) { e.Request.Resolve(i) })
	}

	var (
		stop     atomic.Bool
		wg       sync.WaitGroup
		mu       sync.Mutex
		outcomes = map[string]int{}
		late     []string
		maxLate  time.Duration
	)
	for i, cl := range cls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; !stop.Load(); n++ {
				rctx, cancel := context.WithTimeout(ctx, deadline)
				begin := time.Now()
				_, err := cl.Request(rctx, "chaos/echo", n)
				took := time.Since(begin)
				cancel()
				outcome := "ok"
				switch {
				case err == nil:
				case errors.Is(err, bus.ErrDisconnected):
					outcome = "disconnected"
				case errors.Is(err, bus.ErrTimeout):
					outcome = "timeout"
				case errors.Is(err, bus.ErrNoListener), errors.Is(err, bus.ErrResponderGone):
					outcome = "no responder yet"
				default:
					outcome = "other: " + err.Error()
				}
				mu.Lock()
				outcomes[outcome]++
				// The deadline is checked for hangs, with room for a
				// loaded machine (-race, other tests): not a speed test.
				maxLate = max(maxLate, took-deadline)
				if took > deadline+5*time.Second {
					late = append(late, fmt.Sprintf("client %d request %d took %v (%v)", i, n, took, err))
				}
				mu.Unlock()
			}
		}()
	}

	begin := time.Now()
	for range restarts {
		time.Sleep(time.Duration(100+rand.IntN(300)) * time.Millisecond) // traffic
		hp.stop(true)                                                    // SIGKILL
		time.Sleep(time.Duration(50+rand.IntN(150)) * time.Millisecond)  // the outage
		hp = startHubProc(t, path)
	}
	hubtest.Eventually(t, 20*time.Second, "every client connected to the last hub", func() bool {
		for _, cl := range cls {
			if cl.Status() != bus.StatusConnected {
				return false
			}
		}
		return true
	})
	stop.Store(true)
	wg.Wait()
	t.Logf("%d restarts in %v; request outcomes %v; the latest settled %v past its deadline", restarts, time.Since(begin).Round(time.Millisecond), outcomes, maxLate.Round(time.Millisecond))
	if len(late) > 0 {
		t.Fatalf("%d requests settled past their deadline: %v", len(late), late[:min(len(late), 5)])
	}
	for o, n := range outcomes {
		if o != "ok" && o != "disconnected" && o != "timeout" && o != "no responder yet" {
			t.Errorf("%d requests failed with %s", n, o)
		}
	}
	if outcomes["ok"] == 0 {
		t.Fatal("no request succeeded")
	}

	// The last hub holds exactly the live peers, with the ids they know.
	ctx = ctxT(t) // the first one's 10 s may have gone with the chaos
	var want, got []string
	for _, cl := range cls {
		want = append(want, fmt.Sprintf("%s#%d", cl.Peer().Name, cl.Peer().ID))
	}
	resp, err := cls[0].Request(ctx, wire.ChannelQueryState)
	if err != nil {
		t.Fatalf("hub state: %v", err)
	}
	var state hub.State
	if err := resp.Decode(&state); err != nil {
		t.Fatal(err)
	}
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
	// And they answer.
	resp, err = cls[0].Request(ctx, "chaos/echo", "last")
	if err != nil {
		t.Fatalf("request after the chaos: %v", err)
	}
	var from int
	if err := resp.Decode(&from); err != nil {
		t.Fatal(err)
	}
}
