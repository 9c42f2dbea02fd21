package browsertests

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/ipcbus/ipcbus/hub"
	"github.com/ipcbus/ipcbus/shared/bus"
)

// TestInspector opens the hub's inspector page: the peers of the bus
// appear in its connection tree, their channel in the channel list, a
// message in the live tail and a slow request among the slowest. It saves
// a screenshot to $IPCBUS_INSPECTOR_SCREENSHOT when set (docs/inspector.png
// is one). Without the token the page is refused.
func TestInspector(t *testing.T) {
	h := startHub(t, hub.Config{})
	ctx := ctxFor(t, 60*time.Second)

	resp, err := http.Get(pageURL(h, "/inspector"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("/inspector without the token: %s, want 403", resp.Status)
	}

	worker := native(t, h, "worker")
	release := make(chan struct{})
	worker.On("/jobs/run", func(e *bus.Event) {
		select {
		case <-release:
		case <-time.After(10 * time.Second):
		}
		e.Request.Resolve("ran")
	})
	worker.On("/news/today", func(*bus.Event) {})
	if err := worker.Conn().Flush(ctx); err != nil {
		t.Fatal(err)
	}
	boss := native(t, h, "boss")

	tctx, cancel := chromedp.NewContext(browserCtx)
	t.Cleanup(cancel)
	if err := chromedp.Listen(tctx, func(ev any) {
		if e, ok := ev.(*runtime.EventExceptionThrown); ok {
			t.Logf("inspector exception: %s %v", e.ExceptionDetails.Text, e.ExceptionDetails.Exception)
		}
	}); err != nil {
		t.Fatal(err)
	}
	shows := func(what, text string) {
		t.Helper()
		js := fmt.Sprintf(`document.querySelector(%q).innerText.includes(%q)`, what, text)
		wctx, wcancel := context.WithTimeout(tctx, 15*time.Second)
		defer wcancel()
		if _, err := chromedp.Run(wctx, chromedp.Poll[bool](js, chromedp.WithPollingInterval(50*time.Millisecond))); err != nil {
			body, _ := chromedp.Run(tctx, chromedp.Evaluate[string](`document.body.innerText`))
			t.Fatalf("the inspector's %s does not show %q: %v\npage:\n%s", what, text, err, body)
		}
	}
	if err := chromedp.Do(tctx, chromedp.Navigate(pageURL(h, "/inspector?token="+h.Token()))); err != nil {
		t.Fatal(err)
	}
	shows("#status", "connected as peer")
	shows("#conns", fmt.Sprintf("worker#%d(node)", worker.Peer().ID))
	shows("#conns", fmt.Sprintf("boss#%d(node)", boss.Peer().ID))
	shows("#channels", "/news/today")

	if err := boss.Send(ctx, "/news/today", "all is well", 42); err != nil {
		t.Fatal(err)
	}
	shows("#tail", `["all is well", 42]`)

	answered := make(chan error, 1)
	go func() {
		_, err := boss.Request(ctx, "/jobs/run", "nightly")
		answered <- err
	}()
	shows("#tail", `["nightly"]`) // the request reached the worker: let it answer
	close(release)
	if err := <-answered; err != nil {
		t.Fatal(err)
	}
	shows("#slowest", "/jobs/run")
	shows("#slowest", "resolved")

	// 1,000 channels more: the list shows the busiest 200 first, with its
	// rate from the hub's counters, and the filter finds any of them.
	for i := range 1000 {
		worker.On(fmt.Sprintf("/load/%03d", i), func(*bus.Event) {})
	}
	if err := worker.Conn().Flush(ctx); err != nil {
		t.Fatal(err)
	}
	shows("#channel-count", "200 of 1003") // with /news/today, /jobs/run and the spy channel
	busy, stopBusy := context.WithCancel(ctx)
	defer stopBusy()
	go func() {
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-busy.Done():
				return
			case <-tick.C:
				_ = boss.Send(busy, "/load/777", "busy")
			}
		}
	}()
	busiest := `(() => { const r = document.querySelector('#channels tr'); return !!r && r.cells[0].textContent === '/load/777' && Number(r.cells[2].textContent) > 0; })()`
	wctx, wcancel := context.WithTimeout(tctx, 15*time.Second)
	if _, err := chromedp.Run(wctx, chromedp.Poll[bool](busiest, chromedp.WithPollingInterval(50*time.Millisecond))); err != nil {
		top, _ := chromedp.Run(tctx, chromedp.Evaluate[string](`document.querySelector('#channels tr') ? document.querySelector('#channels tr').innerText : 'no rows'`))
		t.Fatalf("the busiest channel is not first with a rate: %v; first row %q", err, top)
	}
	wcancel()
	rows, err := chromedp.Run(tctx, chromedp.Evaluate[int](`document.querySelectorAll('#channels tr').length`))
	if err != nil || rows != 200 {
		t.Fatalf("the channel list has %d rows (%v), want 200", rows, err)
	}
	if err := chromedp.Do(tctx, chromedp.SendKeys("#channel-filter", "/load/99")); err != nil {
		t.Fatal(err)
	}
	shows("#channel-count", "10")
	shows("#channels", "/load/999")
	// Cleared, for the screenshot: every channel again, the busiest first.
	if _, err := chromedp.Run(tctx, chromedp.Evaluate[bool](`(() => { const f = document.querySelector('#channel-filter'); f.value = ''; f.dispatchEvent(new Event('input')); return true; })()`)); err != nil {
		t.Fatal(err)
	}
	shows("#channel-count", "200 of 1003")

	if path := os.Getenv("IPCBUS_INSPECTOR_SCREENSHOT"); path != "" {
		if err := chromedp.Do(tctx, chromedp.EmulateViewport(1400, 900)); err != nil {
			t.Fatal(err)
		}
		png, err := chromedp.Run(tctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
