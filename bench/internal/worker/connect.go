package worker

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"syscall"
	"time"

	"github.com/ipcbus/ipcbus/bench/internal/link"
	"github.com/ipcbus/ipcbus/bench/internal/proto"
)

// connect opens and closes cmd.N connections one after the other and
// reports the median time to be connected (ready to send).
func (w *Worker) connect(ctx context.Context, cmd *proto.Command) proto.Reply {
	var r proto.Reply
	lat := make([]time.Duration, 0, cmd.N)
	for range cmd.N {
		t0 := time.Now()
		l, err := w.Dial(ctx)
		if err != nil {
			r.Bad++
			r.Err = err.Error()
			if ctx.Err() != nil {
				break
			}
			continue
		}
		lat = append(lat, time.Since(t0))
		l.Close()
	}
	r.Count = len(lat)
	if len(lat) > 0 {
		slices.Sort(lat)
		r.MedUS = us(percentile(lat, 50))
		r.P99US = us(percentile(lat, 99))
	}
	return r
}

// openIdle opens cmd.N connections more and keeps them until OpRelease;
// the reply counts the connections it holds.
func (w *Worker) openIdle(ctx context.Context, cmd *proto.Command) proto.Reply {
	const parallel = 64
	var (
		mu    sync.Mutex
		links = make([]link.Link, 0, cmd.N)
		bad   int
		first error
		wg    sync.WaitGroup
		next  = make(chan struct{}, cmd.N)
	)
	for range cmd.N {
		next <- struct{}{}
	}
	close(next)
	for range parallel {
		wg.Go(func() {
			for range next {
				l, err := w.dialRetry(ctx)
				mu.Lock()
				if err != nil {
					bad++
					if first == nil {
						first = err
					}
				} else {
					links = append(links, l)
				}
				mu.Unlock()
				if ctx.Err() != nil {
					return
				}
			}
		})
	}
	wg.Wait()
	w.idle = append(w.idle, links...)
	r := proto.Reply{Count: len(w.idle), Bad: bad} // held in all, as the Node worker counts
	if first != nil {
		r.Err = fmt.Sprintf("%d of %d failed, first: %v", bad, cmd.N, first)
	}
	return r
}

func (w *Worker) release() {
	var wg sync.WaitGroup
	for _, l := range w.idle {
		wg.Go(func() { l.Close() })
	}
	wg.Wait()
	w.idle = nil
}

// dialRetry dials, retrying while the listener's accept backlog is full
// (a Unix socket answers EAGAIN at once under a burst of connects).
func (w *Worker) dialRetry(ctx context.Context) (link.Link, error) {
	for attempt := 1; ; attempt++ {
		l, err := w.Dial(ctx)
		if err == nil || attempt == 20 || !errors.Is(err, syscall.EAGAIN) || ctx.Err() != nil {
			return l, err
		}
		time.Sleep(time.Duration(attempt) * 5 * time.Millisecond)
	}
}
