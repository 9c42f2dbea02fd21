package browsertests

import (
	"context"
	"testing"
	"time"

	"github.com/ipcbus/ipcbus/shared/bus"
)

// settled is how a request settled in the page (T.settle).
type settled struct {
	OK      bool     `json:"ok"`
	Err     string   `json:"err"`
	Code    string   `json:"code"`
	Thrown  string   `json:"thrown"`
	Sender  bus.Peer `json:"sender"`
	Channel string   `json:"channel"`
	Payload any      `json:"payload"`
	MS      float64  `json:"ms"`
}

// received is a message a page's listener recorded (T.take).
type received struct {
	Sender  bus.Peer `json:"sender"`
	Request bool     `json:"request"`
	Args    []any    `json:"args"`
}

// bin is how the page describes a Uint8Array.
type bin struct {
	Bin int    `json:"bin"`
	FNV uint32 `json:"fnv"`
}

// fnv1a is the page's T.fnv1a.
func fnv1a(b []byte) uint32 {
	h := uint32(0x811c9dc5)
	for _, c := range b {
		h ^= uint32(c)
		h *= 0x01000193
	}
	return h
}

// pattern is the page's T.bytes(n, seed).
func pattern(n, seed int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*31 + seed)
	}
	return b
}

func ctxFor(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// recv waits for a value on ch.
func recv[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}
