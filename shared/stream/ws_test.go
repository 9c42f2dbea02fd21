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
