package worker

import (
	"context"
	"encoding/binary"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ipcbus/ipcbus/bench/internal/link"
	"github.com/ipcbus/ipcbus/bench/internal/proto"
)

// An ack is a receiver's id and how many messages it has counted; a count
// of zero answers a probe.
func ack(id int, count uint64) []byte {
	b := make([]byte, 9)
	b[0] = byte(id)
	binary.BigEndian.PutUint64(b[1:], count)
	return b
}

// recv subscribes cmd.Ch (and the probe channel after it), counts cmd.N
// messages and acknowledges every cmd.AckEvery of them to the sender.
func (w *Worker) recv(ctx context.Context, cmd *proto.Command) proto.Reply {
	var (
		mu       sync.Mutex // the listener's goroutine against a timeout
		r        proto.Reply
		count    int
		ended    bool
		firstAny int64
	)
	done := make(chan struct{})
	every := max(cmd.AckEvery, 1)
	dst := []int{0}
	drop0 := w.Link.Dropped()
	var last int64
	finish := func() {
		r.LastNS = last
		close(done)
	}
	stopData, err := w.Link.Listen(cmd.Ch, func(m link.Msg) {
		mu.Lock()
		defer mu.Unlock()
		if count >= cmd.N || ended {
			return
		}
		if len(m.Data) == 0 { // the sender ran out of time: ends the run
			ended = true
			w.Link.Publish(cmd.AckCh, dst, ack(w.ID, uint64(count)))
			w.Link.Flush()
			finish()
			return
		}
		count++
		last = time.Now().UnixNano()
		if len(m.Data) != cmd.Size {
			r.Bad++
		}
		if count == 1 {
			firstAny = last
		}
		if count == cmd.Warmup || (cmd.Warmup == 0 && count == 1) {
			r.FirstNS = last
		}
		if count%every == 0 || count == cmd.N {
			w.Link.Publish(cmd.AckCh, dst, ack(w.ID, uint64(count)))
			w.Link.Flush()
		}
		if count == cmd.N {
			finish()
		}
	})
	if err != nil {
		return errReply(err)
	}
	defer stopData()
	stopProbe, err := w.Link.Listen(cmd.ProbeCh, func(link.Msg) {
		w.Link.Publish(cmd.AckCh, dst, ack(w.ID, 0))
		w.Link.Flush()
	})
	if err != nil {
		return errReply(err)
	}
	defer stopProbe()
	if err := w.Link.Sync(ctx); err != nil {
		return errReply(err)
	}
	w.ready(cmd)
	select {
	case <-done:
	case <-ctx.Done():
		mu.Lock()
		defer mu.Unlock()
		r.Err = fmt.Sprintf("timed out after %d of %d messages", count, cmd.N)
		r.LastNS = last
	}
	// Messages after the one that started the clock. A run its budget cut
	// short of the warm-up is timed from its first message.
	r.Count = count - max(cmd.Warmup, 1)
	if r.Count <= 0 {
		r.Count, r.FirstNS = count-1, firstAny
	}
	if r.Count <= 0 && r.Err == "" {
		r.Err = fmt.Sprintf("only %d messages", count)
	}
	r.Dropped = w.Link.Dropped() - drop0
	return r
}

// send probes until every receiver answers, then publishes cmd.N messages
// of cmd.Size bytes, never more than cmd.Window ahead of the slowest
// receiver's acks, and waits for the last acks.
func (w *Worker) send(ctx context.Context, cmd *proto.Command) proto.Reply {
	index := make(map[int]int, len(cmd.Dst))
	for i, id := range cmd.Dst {
		index[id] = i
	}
	acked := make([]atomic.Uint64, len(cmd.Dst))
	probed := make([]atomic.Bool, len(cmd.Dst))
	wake := make(chan struct{}, 1)
	stop, err := w.Link.Listen(cmd.AckCh, func(m link.Msg) {
		if len(m.Data) != 9 {
			return
		}
		i, ok := index[int(m.Data[0])]
		if !ok {
			return
		}
		if n := binary.BigEndian.Uint64(m.Data[1:]); n == 0 {
			probed[i].Store(true)
		} else if n > acked[i].Load() {
			acked[i].Store(n)
		}
		select {
		case wake <- struct{}{}:
		default:
		}
	})
	if err != nil {
		return errReply(err)
	}
	defer stop()
	if err := w.Link.Sync(ctx); err != nil {
		return errReply(err)
	}
	// Probe: the receivers' subscriptions are in force at the hub once
	// each has answered a probe sent after them.
	probe := []byte{0}
	for !all(probed) {
		if err := w.Link.Publish(cmd.ProbeCh, cmd.Dst, probe); err != nil {
			return errReply(err)
		}
		w.Link.Flush()
		select {
		case <-wake:
		case <-time.After(20 * time.Millisecond):
		case <-ctx.Done():
			return proto.Reply{Err: "receivers never answered the probe"}
		}
	}
	minAcked := func() uint64 {
		m := acked[0].Load()
		for i := range acked[1:] {
			m = min(m, acked[i+1].Load())
		}
		return m
	}
	payload := make([]byte, cmd.Size)
	window := uint64(max(cmd.Window, 1))
	start := time.Now()
	n := uint64(cmd.N)
	budget := time.Duration(cmd.BudgetMS) * time.Millisecond
	for i := uint64(0); i < n; i++ {
		if budget > 0 && time.Since(start) > budget {
			// Out of time: an empty message tells the receivers the run
			// ends at i messages.
			n = i
			if err := w.Link.Publish(cmd.Ch, cmd.Dst, nil); err != nil {
				return proto.Reply{Count: int(i), Err: err.Error()}
			}
			break
		}
		for i-minAcked() >= window {
			w.Link.Flush()
			select {
			case <-wake:
			case <-ctx.Done():
				return proto.Reply{Count: int(i), Err: fmt.Sprintf("timed out after sending %d of %d", i, n)}
			}
		}
		if err := w.Link.Publish(cmd.Ch, cmd.Dst, payload); err != nil {
			return proto.Reply{Count: int(i), Err: err.Error()}
		}
	}
	w.Link.Flush()
	for minAcked() < n {
		select {
		case <-wake:
		case <-ctx.Done():
			return proto.Reply{Count: int(n), Err: fmt.Sprintf("timed out waiting for acks (%d of %d)", minAcked(), n)}
		}
	}
	return proto.Reply{Count: int(n), Seconds: time.Since(start).Seconds()}
}

func all(b []atomic.Bool) bool {
	for i := range b {
		if !b[i].Load() {
			return false
		}
	}
	return true
}
