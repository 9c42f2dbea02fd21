package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/ipcbus/ipcbus/hub"
	"github.com/ipcbus/ipcbus/hub/hubtest"
	"github.com/ipcbus/ipcbus/shared/bus"
	"github.com/ipcbus/ipcbus/shared/wire"
)

// TestSpyPrintsJSONLines: `ipcbus spy` with its output not a terminal
// prints one JSON object a line, filtered by channel pattern.
func TestSpyPrintsJSONLines(t *testing.T) {
	h := hubtest.Start(t, hub.Config{})
	addr := hubtest.Addr(h)
	lines := background(t, "spy", "--addr", addr, "--channel", "/news/*")
	waitPeers(t, h, wire.ChannelSpy, 1)
	listener := hubtest.Dial(t, h, "reader", nil)
	listener.On("/news/today", func(*bus.Event) {})
	waitPeers(t, h, "/news/today", 1)
	for _, ch := range []string{"/other", "/news/today"} {
		if _, code := runCmd(t, "send", "--addr", addr, "--name", "writer", ch, `"headline"`); code != exitOK {
			t.Fatalf("send exited %d", code)
		}
	}
	for {
		var ev wire.SpyEvent
		l := nextLine(t, lines)
		if err := json.Unmarshal([]byte(l), &ev); err != nil {
			t.Fatalf("spy printed %q: %v", l, err)
		}
		if ev.Kind != wire.SpySend {
			continue // the peers of the send commands joining and leaving
		}
		if ev.Channel != "/news/today" || ev.From.Name != "writer" || len(ev.To) != 1 || ev.To[0].Name != "reader" || ev.Preview != `["headline"]` {
			t.Fatalf("spy printed %s", l)
		}
		return
	}
}

// TestSpyColumns: on a terminal, an event is one line of colored columns:
// time, kind, sender → receivers, channel, outcome and latency, size,
// preview.
func TestSpyColumns(t *testing.T) {
	ev := wire.SpyEvent{
		Time: time.Date(2026, 1, 2, 3, 4, 5, 6e6, time.Local), Kind: wire.SpyResponse, Channel: "/calc", Request: 7,
		From: &wire.Peer{ID: 3, Name: "svc", Process: wire.Process{Type: "node"}},
		To:   []wire.Peer{{ID: 4, Name: "asker", Process: wire.Process{Type: "renderer"}}},
		Size: 5, Preview: `"done"`, Status: "rejected", LatencyMS: 12.5,
	}
	plain := string(spyPrinter{}.line(ev))
	want := "03:04:05.006  response #7      svc#3(node) → asker#4(renderer)  /calc  rejected 12.5ms  5B  \"done\"\n"
	if plain != want {
		t.Errorf("got  %q\nwant %q", plain, want)
	}
	colored := string(spyPrinter{color: true}.line(ev))
	if !strings.Contains(colored, ansiRed+"rejected"+ansiReset) || strings.ReplaceAll(strings.ReplaceAll(strings.ReplaceAll(strings.ReplaceAll(colored, ansiRed, ""), ansiReset, ""), ansiDim, ""), ansiBold, "") != want {
		t.Errorf("colored line %q", colored)
	}
}
