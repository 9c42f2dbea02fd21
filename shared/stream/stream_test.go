//go:build !js

package stream

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"testing"

	"github.com/ipcbus/ipcbus/shared/wire"
)

// TestFramesRoundTrip writes batches mixing small frames (coalesced),
// large ones (written in place) and two-piece frames, and reads them back.
func TestFramesRoundTrip(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	w, r := New(a, 2<<20, 0), New(b, 2<<20, 0)
	var want [][]byte
	var batch []wire.OutFrame
	for i, n := range []int{0, 1, 100, minBuffer, minBuffer + 1, maxBuffer, maxBuffer + 1, coalesceMax, coalesceMax + 1, 300 << 10, 7, 1 << 20} {
		body := bytes.Repeat([]byte{byte(i + 1)}, n)
		head := []byte(fmt.Sprintf("h%d:", i))
		batch = append(batch, wire.OutFrame{Head: head, Body: body})
		want = append(want, append(append([]byte{}, head...), body...))
	}
	errc := make(chan error, 1)
	go func() { errc <- w.WriteFrames(batch) }()
	var got [][]byte
	for range want {
		f, err := r.ReadFrame()
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, f)
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	for i := range want {
		if !bytes.Equal(got[i], want[i]) {
			t.Fatalf("frame %d: %d bytes, want %d", i, len(got[i]), len(want[i]))
		}
	}
	// Frames are the caller's: reading more does not change them.
	go w.WriteFrames([]wire.OutFrame{{Head: []byte("next")}})
	if _, err := r.ReadFrame(); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got[2], want[2]) {
		t.Fatal("a frame read earlier changed")
	}
}

// TestLongBatchReusesWriteBuffers writes a batch of small frames far
// larger than the write buffers kept, which is written in several rounds.
func TestLongBatchReusesWriteBuffers(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	w, r := New(a, 1<<20, 0), New(b, 1<<20, 0)
	const n = 2000 // 2000 x 1 KiB: eight times the buffers kept
	var batch []wire.OutFrame
	for i := 0; i < n; i++ {
		batch = append(batch, wire.OutFrame{Head: []byte{byte(i), byte(i >> 8)}, Body: bytes.Repeat([]byte{byte(i)}, 1022)})
	}
	errc := make(chan error, 1)
	go func() { errc <- w.WriteFrames(batch) }()
	for i := 0; i < n; i++ {
		f, err := r.ReadFrame()
		if err != nil {
			t.Fatal(err)
		}
		if len(f) != 1024 || f[0] != byte(i) || f[1] != byte(i>>8) || f[1023] != byte(i) {
			t.Fatalf("frame %d came out wrong", i)
		}
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if len(w.chunks) > keepChunks {
		t.Fatalf("%d write buffers kept, want at most %d", len(w.chunks), keepChunks)
	}
}

func TestOversizedFrameIsRefused(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	go New(a, 1<<20, 0).WriteFrames([]wire.OutFrame{{Head: make([]byte, 2048)}})
	if _, err := New(b, 1024, 0).ReadFrame(); !errors.Is(err, wire.ErrFrameTooLarge) {
		t.Fatalf("got %v, want ErrFrameTooLarge", err)
	}
}
