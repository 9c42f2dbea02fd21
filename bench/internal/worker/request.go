package worker

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ipcbus/ipcbus/bench/internal/link"
	"github.com/ipcbus/ipcbus/bench/internal/proto"
)

// requestTimeout bounds each request of a run.
const requestTimeout = 5 * time.Second

type served struct{ stop func() }

var servers sync.Map // channel → served

// serve answers every request on cmd.Ch with the payload it carried.
func (w *Worker) serve(ctx context.Context, cmd *proto.Command) proto.Reply {
	stop, err := w.Link.Listen(cmd.Ch, func(m link.Msg) {
		if m.Respond != nil {
			m.Respond(m.Data)
		}
	})
	if err != nil {
		return errReply(err)
	}
	servers.Store(cmd.Ch, served{stop})
	if err := w.Link.Sync(ctx); err != nil {
		return errReply(err)
	}
	return proto.Reply{}
}

func (w *Worker) unserve(cmd *proto.Command) proto.Reply {
	if s, ok := servers.LoadAndDelete(cmd.Ch); ok {
		s.(served).stop()
	}
	return proto.Reply{}
}

func (w *Worker) request(ctx context.Context, cmd *proto.Command, p []byte) error {
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	dst := 1
	if len(cmd.Dst) > 0 {
		dst = cmd.Dst[0]
	}
	b, err := w.Link.Request(ctx, cmd.Ch, dst, p)
	if err != nil {
		return err
	}
	if len(b) != len(p) {
		return fmt.Errorf("answer of %d bytes, want %d", len(b), len(p))
	}
	return nil
}

// warm retries a first request until the responder is there, then makes
// cmd.Warmup more.
func (w *Worker) warm(ctx context.Context, cmd *proto.Command, p []byte) error {
	for {
		err := w.request(ctx, cmd, p)
		if err == nil {
			break
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("no answer before the deadline: %w", err)
		case <-time.After(5 * time.Millisecond):
		}
	}
	start := time.Now()
	for range cmd.Warmup {
		if cmd.BudgetMS > 0 && time.Since(start) > time.Duration(cmd.BudgetMS)*time.Millisecond/4 {
			break
		}
		if err := w.request(ctx, cmd, p); err != nil {
			return err
		}
	}
	return nil
}

// minSamples is how many round trips a sequential run measures even past
// its budget (up to four budgets), so that a slow system still gets a p50.
const minSamples = 10

// reqSeq makes cmd.N requests one after the other and reports the median
// and 99th percentile round trip.
func (w *Worker) reqSeq(ctx context.Context, cmd *proto.Command) proto.Reply {
	p := make([]byte, cmd.Size)
	if err := w.warm(ctx, cmd, p); err != nil {
		return errReply(err)
	}
	var r proto.Reply
	lat := make([]time.Duration, 0, cmd.N)
	start := time.Now()
	budget := time.Duration(cmd.BudgetMS) * time.Millisecond
	for range cmd.N {
		if budget > 0 && (time.Since(start) > 4*budget || len(lat) >= minSamples && time.Since(start) > budget) {
			break
		}
		if ctx.Err() != nil {
			r.Err = fmt.Sprintf("timed out after %d of %d requests", len(lat), cmd.N)
			break
		}
		t0 := time.Now()
		if err := w.request(ctx, cmd, p); err != nil {
			r.Bad++
			r.Err = err.Error()
			continue
		}
		lat = append(lat, time.Since(t0))
	}
	r.Count = len(lat)
	if len(lat) > 0 {
		slices.Sort(lat)
		r.P50US = us(percentile(lat, 50))
		r.P99US = us(percentile(lat, 99))
	}
	return r
}

// reqPar makes cmd.N requests, cmd.InFlight at a time.
func (w *Worker) reqPar(ctx context.Context, cmd *proto.Command) proto.Reply {
	p := make([]byte, cmd.Size)
	if err := w.warm(ctx, cmd, p); err != nil {
		return errReply(err)
	}
	var (
		next, ok, bad atomic.Int64
		wg            sync.WaitGroup
		firstErr      atomic.Value
	)
	start := time.Now()
	for range max(cmd.InFlight, 1) {
		wg.Go(func() {
			for next.Add(1) <= int64(cmd.N) && ctx.Err() == nil && !overBudget(cmd, start) {
				if err := w.request(ctx, cmd, p); err != nil {
					bad.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
					continue
				}
				ok.Add(1)
			}
		})
	}
	wg.Wait()
	r := proto.Reply{Count: int(ok.Load()), Bad: int(bad.Load()), Seconds: time.Since(start).Seconds()}
	if e, _ := firstErr.Load().(string); e != "" {
		r.Err = e
	} else if ctx.Err() != nil {
		r.Err = fmt.Sprintf("timed out after %d of %d requests", r.Count, cmd.N)
	}
	return r
}

// overBudget says whether a loop started at start has used its time.
func overBudget(cmd *proto.Command, start time.Time) bool {
	return cmd.BudgetMS > 0 && time.Since(start) > time.Duration(cmd.BudgetMS)*time.Millisecond
}

func percentile(sorted []time.Duration, p int) time.Duration {
	i := (len(sorted)*p + 99) / 100
	return sorted[min(max(i-1, 0), len(sorted)-1)]
}

func us(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }
