//go:build js && wasm

package main

import (
	"container/heap"
	"sync"
	"time"
)

// timeouts runs the deadlines of the requests JavaScript makes on one Go
// timer. A timer per request (context.WithTimeout) changes the runtime's
// next wake-up with every request, and each change costs the runtime a
// clearTimeout and a setTimeout in JavaScript when it goes idle. This one
// timer is re-armed only when a deadline comes before the one it is set
// for: when the earliest request is answered, the timer still fires at the
// old time, finds nothing due and moves on to the next.
type timeouts struct {
	mu    sync.Mutex
	q     deadlines
	timer *time.Timer
	armed time.Time // when the timer fires; zero when it is not set
}

type deadline struct {
	when  time.Time
	fire  func()
	index int // in q; -1 once removed
}

// add calls fire at when, unless stopped first.
func (t *timeouts) add(when time.Time, fire func()) *deadline {
	d := &deadline{when: when, fire: fire}
	t.mu.Lock()
	defer t.mu.Unlock()
	heap.Push(&t.q, d)
	if t.armed.IsZero() || when.Before(t.armed) {
		t.armLocked(when)
	}
	return d
}

// stop forgets d; it reports false when d fired or was stopped already.
func (t *timeouts) stop(d *deadline) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if d.index < 0 {
		return false
	}
	heap.Remove(&t.q, d.index)
	return true
}

func (t *timeouts) armLocked(when time.Time) {
	t.armed = when
	if t.timer == nil {
		t.timer = time.AfterFunc(time.Until(when), t.expire)
		return
	}
	t.timer.Reset(time.Until(when))
}

// expire fires what is due and sets the timer for what is left.
func (t *timeouts) expire() {
	t.mu.Lock()
	now := time.Now()
	var due []func()
	for len(t.q) > 0 && !t.q[0].when.After(now) {
		due = append(due, heap.Pop(&t.q).(*deadline).fire)
	}
	t.armed = time.Time{}
	if len(t.q) > 0 {
		t.armLocked(t.q[0].when)
	}
	t.mu.Unlock()
	for _, fire := range due {
		fire()
	}
}

// deadlines is a min-heap by when.
type deadlines []*deadline

func (q deadlines) Len() int           { return len(q) }
func (q deadlines) Less(i, j int) bool { return q[i].when.Before(q[j].when) }
func (q deadlines) Swap(i, j int) {
	q[i], q[j] = q[j], q[i]
	q[i].index, q[j].index = i, j
}
func (q *deadlines) Push(x any) {
	d := x.(*deadline)
	d.index = len(*q)
	*q = append(*q, d)
}
func (q *deadlines) Pop() any {
	old := *q
	d := old[len(old)-1]
	old[len(old)-1] = nil
	d.index = -1
	*q = old[:len(old)-1]
	return d
}
