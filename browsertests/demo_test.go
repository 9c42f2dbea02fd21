package browsertests

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ipcbus/ipcbus/hub"
	"github.com/ipcbus/ipcbus/shared/bus"
)

// waitText waits until the text of the element id contains every want.
func waitText(tb *tab, id string, want ...string) {
	tb.t.Helper()
	js := fmt.Sprintf(`new Promise((resolve, reject) => {
		const want = %q.split('\n');
		const deadline = performance.now() + 10000;
		const check = () => {
			const text = document.getElementById(%q).textContent;
			if (want.every((w) => text.includes(w))) resolve(true);
			else if (performance.now() > deadline) reject(new Error('#%s is ' + JSON.stringify(text)));
			else setTimeout(check, 20);
		};
		check();
	})`, strings.Join(want, "\n"), id, id)
	tb.eval(js, nil)
}

// The demo page, opened in two tabs with the token in its URL: each lists
// both peers, they chat, and a native listener sees the same messages.
func TestDemoPage(t *testing.T) {
	h := startHub(t, hub.Config{})
	nat := native(t, h, "native")
	heard := make(chan string, 4)
	nat.On("demo/chat", func(e *bus.Event) {
		var s string
		e.Args(&s)
		heard <- s
	})
	if err := nat.Conn().Flush(ctxFor(t, 5*time.Second)); err != nil {
		t.Fatal(err)
	}
	url := pageURL(h, "/demo/index.html?ipcbus-token="+h.Token())
	one := openTab(t, url, preload{none: true})
	two := openTab(t, url, preload{none: true})
	waitText(one, "status", "connected as")
	waitText(two, "status", "connected as")
	var name2 string
	two.eval(`document.getElementById('status').textContent.split(' ')[2]`, &name2)
	waitText(one, "peers", "(this tab)", name2+" — renderer over ws", "native — node over unix")

	two.eval(`document.getElementById('text').value = 'hello from tab two';
		document.getElementById('say').requestSubmit(); true`, nil)
	waitText(one, "log", name2+": hello from tab two")
	if s := recv(t, heard, "the chat at the native listener"); s != "hello from tab two" {
		t.Errorf("native heard %q", s)
	}
	if err := nat.Send(ctxFor(t, 5*time.Second), "demo/chat", "hi from native"); err != nil {
		t.Fatal(err)
	}
	waitText(one, "log", "native: hi from native")
	waitText(two, "log", "native: hi from native")
}
