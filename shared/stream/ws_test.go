//go:build !js

package stream

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/coder/websocket"
	"github.com/ipcbus/ipcbus/shared/wire"
)

// TestWSRoundTrip: a batch of frames of many sizes, written by a DialWS
// client (corked: one write for the batch) reaches the server whole and in
// order, and the frames read stay as they were while more are read.
func TestWSRoundTrip(t *testing.T) {
	got := make(chan [][]byte, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		s := NewWS(ws, 4<<20, 0)
		var frames [][]byte
		for {
			f, err := s.ReadFrame()
			if err != nil {
				break
			}
			frames = append(frames, f)
		}
		got <- frames
	}))
	defer srv.Close()
	ctx := context.Background()
	c, _, err := DialWS(ctx, "ws"+strings.TrimPrefix(srv.URL, "http"), nil, 4<<20, 0)
	if err != nil {
		t.Fatal(err)
	}
	if c.cork == nil {
		t.Fatal("DialWS's connection is not corked")
	}
	var want [][]byte
	var batch []wire.OutFrame
	for i, n := range []int{0, 1, 100, minBuffer - 3, minBuffer, 5000, wsSlabMax, wsSlabMax + 1, 7, 300 << 10, 3, 1 << 20, 9} {
		head := []byte(fmt.Sprintf("h%d:", i))
		body := bytes.Repeat([]byte{byte(i + 1)}, n)
		batch = append(batch, wire.OutFrame{Head: head, Body: body})
		want = append(want, append(append([]byte{}, head...), body...))
	}
	if err := c.WriteFrames(batch); err != nil {
		t.Fatal(err)
	}
	c.ws.Close(websocket.StatusNormalClosure, "")
	frames := <-got
	if len(frames) != len(want) {
		t.Fatalf("%d frames, want %d", len(frames), len(want))
	}
	for i := range want {
		if !bytes.Equal(frames[i], want[i]) {
			t.Fatalf("frame %d: %d bytes, want %d (or other bytes)", i, len(frames[i]), len(want[i]))
		}
	}
}

// TestWSPooledFrames: with a pool, large messages are read into its
// buffers, each the caller's to take; a buffer taken and released holds a
// later large message, and the small messages read after a large one stay
// as they were once its buffer is reused. A buffer not taken is left to
// the collector.
func TestWSPooledFrames(t *testing.T) {
	pool := NewPool(16 << 20)
	type read struct {
		frames [][]byte
		bufs   []*Buf
	}
	sizes := []int{1 << 20, 10, 300 << 10, 20, 1 << 20, 30, 2 << 20}
	got := make(chan read, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		s := NewWS(ws, 4<<20, 0)
		s.SetPool(pool)
		var rd read
		for i := 0; ; i++ {
			f, err := s.ReadFrame()
			if err != nil {
				break
			}
			b := s.TakeBuf()
			if b != nil && i == 0 {
				b.Release() // the first large one: its memory goes back at once
				f = append([]byte(nil), f...)
				b = nil
			}
			rd.frames = append(rd.frames, f)
			rd.bufs = append(rd.bufs, b)
		}
		got <- rd
	}))
	defer srv.Close()
	c, _, err := DialWS(context.Background(), "ws"+strings.TrimPrefix(srv.URL, "http"), nil, 4<<20, 0)
	if err != nil {
		t.Fatal(err)
	}
	for i, n := range sizes {
		if err := c.WriteFrames([]wire.OutFrame{{Body: bytes.Repeat([]byte{byte(i + 1)}, n)}}); err != nil {
			t.Fatal(err)
		}
	}
	c.ws.Close(websocket.StatusNormalClosure, "")
	rd := <-got
	if len(rd.frames) != len(sizes) {
		t.Fatalf("%d frames, want %d", len(rd.frames), len(sizes))
	}
	for i, n := range sizes {
		if !bytes.Equal(rd.frames[i], bytes.Repeat([]byte{byte(i + 1)}, n)) {
			t.Errorf("frame %d (%d bytes): other bytes", i, n)
		}
		if large := n > maxBuffer; i > 0 && large != (rd.bufs[i] != nil) {
			t.Errorf("frame %d (%d bytes): pooled %v", i, n, rd.bufs[i] != nil)
		}
	}
	if rd.bufs[4] != nil && &rd.bufs[4].b[0] == &rd.bufs[2].b[0] {
		t.Error("a buffer still held was reused")
	}
	for _, b := range rd.bufs {
		if b != nil {
			b.Release()
		}
	}
	if pool.Held() == 0 {
		t.Error("released buffers did not go back to the pool")
	}
}
