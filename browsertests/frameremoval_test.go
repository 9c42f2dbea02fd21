package browsertests

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/ipcbus/ipcbus/hub"
	"github.com/ipcbus/ipcbus/shared/bus"
)

// A frame that goes away leaves the hub's state at once, and a request
// pending on it fails with responder-gone: an iframe removed from the
// document, and an iframe that navigates away. Both with MessagePort's
// close event (the browser's flag) and without it (the preload told to
// ignore it, as Chromium's default is): then the host sees the removal
// with a MutationObserver and the navigation by the shim's goodbye on
// pagehide; a frame that stops answering (hung, crashed) misses its pings.
func TestFrameRemoval(t *testing.T) {
	for _, tc := range []struct {
		name  string
		extra string // JS run before the preload
		hung  bool
	}{
		{name: "close event"},
		{name: "no close event", extra: "globalThis.IPCBUS_CONFIG = { portCloseEvent: false, pingMillis: 200 };", hung: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := startHub(t, hub.Config{})
			nat := native(t, h, "native")
			cross := otherOrigin(h, "")
			tb := openPage(t, h, electronArgs(h, "--ipcbus-frames="+cross).with(tc.extra))
			names := []string{"removed", "navigates"}
			if tc.hung {
				names = append(names, "hangs")
			}
			peers := map[string]bus.Peer{}
			for _, name := range names {
				src := otherOrigin(h, "/test/frame.html#name="+name)
				if name == "removed" {
					src = pageURL(h, "/test/frame.html#name="+name)
				}
				tb.evalPage(fmt.Sprintf(`T.addFrame(%q, %q, { grant: true })`, name, src), nil)
				var st frameStatus
				tb.evalPage(fmt.Sprintf(`T.frameStatus(%q)`, name), &st)
				if !st.OK {
					t.Fatalf("frame %s: %+v", name, st)
				}
				peers[name] = st.Peer
			}

			// pending starts a request to frame name that it receives and
			// never answers.
			pending := func(name string) <-chan error {
				drive(t, nat, name, fmt.Sprintf(`T.record(%q, "hang/%s", "none"); await T.sync(%q); return true;`, name, name, name), nil)
				errc := make(chan error, 1)
				go func() {
					ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
					defer cancel()
					_, err := nat.Request(ctx, "hang/"+name)
					errc <- err
				}()
				drive(t, nat, name, fmt.Sprintf(`await T.take(%q, "hang/%s"); return true;`, name, name), nil)
				return errc
			}
			gone := func(name string, errc <-chan error, since time.Time) {
				t.Helper()
				err := recv(t, errc, "the request pending on frame "+name)
				d := time.Since(since)
				if !errors.Is(err, bus.ErrResponderGone) {
					t.Errorf("request pending on frame %s: %v, want ErrResponderGone", name, err)
				}
				if _, _, ok := queryState(t, nat).peer(peers[name].ID); ok {
					t.Errorf("frame %s's peer is still in the hub's state", name)
				}
				t.Logf("frame %s: its pending request failed %v after it went", name, d.Round(time.Millisecond))
				if d > 3*time.Second {
					t.Errorf("frame %s: its peer left %v after it went, want promptly", name, d)
				}
			}

			errc := pending("removed")
			start := time.Now()
			tb.evalPage(`document.getElementById("removed").remove(); true`, nil)
			gone("removed", errc, start)

			errc = pending("navigates")
			start = time.Now()
			tb.evalPage(`document.getElementById("navigates").src = "about:blank"; true`, nil)
			gone("navigates", errc, start)

			if tc.hung {
				// The frame is busy for 4 s: five pings 200 ms apart go
				// unanswered and the host drops it.
				errc = pending("hangs")
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				start = time.Now()
				if err := nat.Send(ctx, "ctl/hangs", "const end = Date.now() + 4000; while (Date.now() < end);"); err != nil {
					t.Fatal(err)
				}
				gone("hangs", errc, start)
			}

			// The page and its other frames carry on.
			var top bus.Peer
			tb.evalPage(`T.connect("top")`, &top)
			if _, _, ok := queryState(t, nat).peer(top.ID); !ok {
				t.Errorf("the top page's peer is not in the hub's state")
			}
		})
	}
}
