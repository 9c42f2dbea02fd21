//go:build soak

package bus_test

// The soak (make soak): a hub in a child process, restarted every minute
// (SIGTERM, lame duck, and SIGKILL in turn), under clients of this process
// making requests at half the capacity measured first. It prints the RSS
// and goroutines of the hub and of the clients as it goes, and fails when
// the goroutines grow.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ipcbus/ipcbus/hub/hubtest"
	"github.com/ipcbus/ipcbus/nativeclient"
	"github.com/ipcbus/ipcbus/shared/bus"
)

func soakDuration(name string, def time.Duration) time.Duration {
	if v := os.Getenv(name); v != "" {
		if d, err := time.ParseDuration(v); err == nil {
			return d
		}
	}
	return def
}

func TestSoak(t *testing.T) {
	duration := soakDuration("SOAK_DURATION", 10*time.Minute)
	every := soakDuration("SOAK_RESTART_EVERY", time.Minute)
	dir := t.TempDir()
	path := filepath.Join(dir, "hub.sock")
	hubp := startHubProc(t, path)
	defer func() { hubp.stop(false) }()
	addr := "unix:" + path

	const pairs = 4
	var responders, requesters []*bus.Client
	for i := range pairs {
		opts := &bus.Options{MaxReconnects: -1, ReconnectWait: 50 * time.Millisecond}
		var err error
		var r *bus.Client
		deadline := time.Now().Add(10 * time.Second)
		for { // the first hub may not be listening yet
			opts.Name = fmt.Sprintf("responder-%d", i)
			if r, err = dialSoak(addr, opts); err == nil || time.Now().After(deadline) {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		r.On("soak/req", func(e *bus.Event) { e.Request.Resolve(len(e.RawArgs())) })
		opts.Name = fmt.Sprintf("requester-%d", i)
		q, err := dialSoak(addr, opts)
		if err != nil {
			t.Fatal(err)
		}
		defer q.Close()
		responders, requesters = append(responders, r), append(requesters, q)
	}
	payload := make([]byte, 256)

	// Capacity: requests per second, closed loop, for 3 s.
	var n atomic.Int64
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	var wg sync.WaitGroup
	for _, q := range requesters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				if _, err := q.Request(ctx, "soak/req", payload); err == nil {
					n.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	cancel()
	capacity := float64(n.Load()) / 3
	rate := capacity / 2
	fmt.Printf("soak: capacity %.0f requests/s; soaking at %.0f/s for %v, hub restart every %v\n", capacity, rate, duration, every)

	// The soak: paced goroutines, four per requester (so that a request's
	// latency does not hold the pace back), each at rate/(4·pairs).
	var ok, failed atomic.Int64
	stopAll := make(chan struct{})
	const perRequester = 4
	interval := time.Duration(float64(time.Second) * pairs * perRequester / rate)
	for k := range pairs * perRequester {
		q := requesters[k%pairs]
		wg.Add(1)
		go func() {
			defer wg.Done()
			tk := time.NewTicker(interval)
			defer tk.Stop()
			for {
				select {
				case <-stopAll:
					return
				case <-tk.C:
				}
				rctx, cancel := context.WithTimeout(context.Background(), time.Second)
				_, err := q.Request(rctx, "soak/req", payload)
				cancel()
				if err == nil {
					ok.Add(1)
				} else if errors.Is(err, bus.ErrDisconnected) || errors.Is(err, bus.ErrTimeout) || errors.Is(err, bus.ErrNoListener) || errors.Is(err, bus.ErrResponderGone) {
					failed.Add(1)
				} else {
					t.Errorf("request: %v", err)
				}
			}
		}()
	}

	begin := time.Now()
	report := time.NewTicker(10 * time.Second)
	defer report.Stop()
	restart := time.NewTicker(every)
	defer restart.Stop()
	end := time.After(duration)
	var firstClientG, lastClientG, firstHubG, lastHubG int
	kill := false
	print := func() {
		runtime.GC()
		cg := runtime.NumGoroutine()
		hg := int(hubp.goroutines.Load())
		el := time.Since(begin)
		fmt.Printf("soak %6s: hub rss %6d kB goroutines %3d | clients rss %6d kB goroutines %3d | requests ok %d (%.0f/s), failed retryably (disconnected, timeout, no responder yet) %d\n",
			el.Round(time.Second), rssKB(hubp.cmd.Process.Pid), hg, rssKB(os.Getpid()), cg, ok.Load(), float64(ok.Load())/el.Seconds(), failed.Load())
		if firstClientG == 0 {
			firstClientG, firstHubG = cg, hg
		}
		lastClientG, lastHubG = cg, hg
	}
loop:
	for {
		select {
		case <-report.C:
			print()
		case <-restart.C:
			hubp.stop(kill)
			how := "SIGTERM"
			if kill {
				how = "SIGKILL"
			}
			kill = !kill
			hubp = startHubProc(t, path)
			fmt.Printf("soak %6s: hub restarted (%s)\n", time.Since(begin).Round(time.Second), how)
		case <-end:
			break loop
		}
	}
	// A restart may have come just before the end: give the clients the
	// time a reconnect takes, then stop the load.
	all := append(responders, requesters...)
	hubtest.Eventually(t, 15*time.Second, "every client connected again", func() bool {
		for _, c := range all {
			if c.Status() != bus.StatusConnected {
				return false
			}
		}
		return true
	})
	close(stopAll)
	wg.Wait()
	print()
	if lastClientG > firstClientG+8 || (firstHubG > 0 && lastHubG > firstHubG+8) {
		t.Fatalf("goroutines grew: clients %d → %d, hub %d → %d", firstClientG, lastClientG, firstHubG, lastHubG)
	}
	for _, c := range all {
		if c.Status() != bus.StatusConnected {
			t.Errorf("%s ends %v", c.Peer().Name, c.Status())
		}
	}
}

func dialSoak(addr string, opts *bus.Options) (*bus.Client, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return dialAddr(ctx, addr, opts)
}

func dialAddr(ctx context.Context, addr string, opts *bus.Options) (*bus.Client, error) {
	return nativeclient.Dial(ctx, addr, opts)
}
