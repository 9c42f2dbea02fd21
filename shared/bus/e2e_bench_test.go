//go:build !js

package bus_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/ipcbus/ipcbus/hub"
	"github.com/ipcbus/ipcbus/hub/hubtest"
	"github.com/ipcbus/ipcbus/shared/bus"
)

// BenchmarkSendOneWay measures one sender to one receiver through a hub on
// a Unix socket, counted at the receiver. (make bench compares it with
// other buses across processes; this one profiles the whole path.)
func BenchmarkSendOneWay(b *testing.B) {
	for _, size := range []int{16, 1024, 64 << 10, 1 << 20} {
		b.Run(fmt.Sprintf("bytes=%d", size), func(b *testing.B) {
			h := hubtest.Start(b, hub.Config{})
			ctx := context.Background()
			sender := hubtest.Dial(b, h, "sender", nil)
			receiver := hubtest.Dial(b, h, "receiver", nil)
			done := make(chan struct{})
			count := 0
			n := b.N
			receiver.On("bench", func(*bus.Event) {
				if count++; count == n {
					close(done)
				}
			})
			receiver.Conn().Flush(ctx)
			payload := make([]byte, size)
			b.SetBytes(int64(size))
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < n; i++ {
				if err := sender.Send(ctx, "bench", payload); err != nil {
					b.Fatal(err)
				}
			}
			<-done
			b.StopTimer()
			if d := receiver.Conn().Dropped(); d != 0 {
				b.Fatalf("%d events dropped", d)
			}
		})
	}
}

// BenchmarkRequestRoundTrip measures sequential requests through the hub.
func BenchmarkRequestRoundTrip(b *testing.B) {
	h := hubtest.Start(b, hub.Config{})
	ctx := context.Background()
	asker := hubtest.Dial(b, h, "asker", nil)
	responder := hubtest.Dial(b, h, "responder", nil)
	responder.On("rt", func(e *bus.Event) { e.Request.Resolve(true) })
	responder.Conn().Flush(ctx)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := asker.Request(ctx, "rt", i); err != nil {
			b.Fatal(err)
		}
	}
}
