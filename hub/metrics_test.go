package hub_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ipcbus/ipcbus/hub"
	"github.com/ipcbus/ipcbus/hub/hubtest"
	"github.com/ipcbus/ipcbus/shared/bus"
	"github.com/ipcbus/ipcbus/shared/wire"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// noKeepAlive leaves no idle connection behind for the leak check.
var noKeepAlive = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}

// scrape gets /metrics from h's WebSocket listener with the token and
// parses it.
func scrape(t *testing.T, h *hub.Hub) map[string]*dto.MetricFamily {
	t.Helper()
	req, _ := http.NewRequest("GET", "http://"+strings.TrimPrefix(h.Addr("ws"), "ws:")+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+h.Token())
	resp, err := noKeepAlive.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("scrape: %s", resp.Status)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parse the scrape: %v", err)
	}
	return fams
}

// value returns the value of the metric name with the label (name=value
// pairs), or -1 when there is none.
func value(fams map[string]*dto.MetricFamily, name string, labels ...string) float64 {
	f := fams[name]
	if f == nil {
		return -1
	}
next:
	for _, m := range f.Metric {
		for i := 0; i+1 < len(labels); i += 2 {
			found := false
			for _, l := range m.Label {
				if l.GetName() == labels[i] && l.GetValue() == labels[i+1] {
					found = true
				}
			}
			if !found {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue()
		case m.Gauge != nil:
			return m.Gauge.GetValue()
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount())
		}
	}
	return -1
}

// TestMetricsCountTheTraffic: the counters of a scrape after some traffic
// exceed those before by what the traffic was; gauges count the peers and
// connections there are.
func TestMetricsCountTheTraffic(t *testing.T) {
	h := hubtest.Start(t, hub.Config{WSAddr: "127.0.0.1:0"})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	listener := hubtest.Dial(t, h, "listener", nil)
	listener.On("m", func(*bus.Event) {})
	listener.On("ok", func(e *bus.Event) { e.Request.Resolve(1) })
	listener.On("no", func(e *bus.Event) { e.Request.Reject("no") })
	if err := listener.Conn().Flush(ctx); err != nil {
		t.Fatal(err)
	}
	sender := hubtest.Dial(t, h, "sender", nil)

	before := scrape(t, h)
	payload := make([]byte, 10<<10)
	for range 3 {
		if err := sender.Send(ctx, "m", payload); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := sender.Request(ctx, "ok"); err != nil {
		t.Fatal(err)
	}
	if _, err := sender.Request(ctx, "no"); !errors.Is(err, bus.ErrRejected) {
		t.Fatal(err)
	}
	if _, err := sender.Request(ctx, "nobody"); !errors.Is(err, bus.ErrNoListener) {
		t.Fatal(err)
	}
	bad := dialRaw(t, h)
	badPeer := bad.hello()
	bad.write(wire.Frame{Kind: wire.KindSubscribe, Channel: "", Peer: badPeer})
	bad.expectClose(wire.ClosePolicy)
	hubtest.Eventually(t, 5*time.Second, "the refused connection leaving", func() bool { return len(h.State().Connections) == 2 })
	// The sends were delivered (the requests after them were answered), but
	// their frames may still be on their way out: wait for the bytes.
	var after map[string]*dto.MetricFamily
	hubtest.Eventually(t, 5*time.Second, "the sends written out", func() bool {
		after = scrape(t, h)
		return value(after, "ipcbus_bytes_out_total")-value(before, "ipcbus_bytes_out_total") >= 3*10<<10
	})

	delta := func(name string, labels ...string) float64 {
		return value(after, name, labels...) - value(before, name, labels...)
	}
	for _, c := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"ipcbus_sends_total", nil, 3},
		{"ipcbus_requests_total", []string{"outcome", "resolved"}, 1},
		{"ipcbus_requests_total", []string{"outcome", "rejected"}, 1},
		{"ipcbus_requests_total", []string{"outcome", "no-listener"}, 1},
		{"ipcbus_request_duration_seconds", nil, 3},
		{"ipcbus_frames_refused_total", []string{"reason", "policy_violation"}, 1},
		{"ipcbus_connection_closes_total", []string{"code", "policy_violation"}, 1},
		{"ipcbus_slow_consumer_closes_total", nil, 0},
	} {
		if got := delta(c.name, c.labels...); got != c.want {
			t.Errorf("%s%v went up by %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	// In: 3 sends, 3 requests, 2 responses, and the refused connection's
	// hello, peer.add and subscribe (more: flushes are pings).
	if got := delta("ipcbus_frames_in_total"); got < 3+3+2+2 {
		t.Errorf("frames in went up by %v, want at least 10", got)
	}
	if got := delta("ipcbus_bytes_in_total"); got < 3*10<<10 {
		t.Errorf("bytes in went up by %v, want at least the 3 payloads", got)
	}
	for _, c := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"ipcbus_peers", []string{"process_type", "node"}, 2},
		{"ipcbus_connections", []string{"listener", "unix"}, 2},
		{"ipcbus_connections", []string{"listener", "ws"}, 0},
		{"ipcbus_spies", nil, 0},
		{"ipcbus_slow_consumer_closes_total", nil, 0},
	} {
		if got := value(after, c.name, c.labels...); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	// The state has the same counts per connection and per channel.
	st := h.State()
	channels := map[string]hub.ChannelState{}
	for _, c := range st.Channels {
		channels[c.Channel] = c
	}
	if m := channels["m"]; m.Messages != 3 || m.Bytes < 3*10<<10 || m.Bytes > 3*(10<<10+16) {
		t.Errorf("channel m: %d messages, %d bytes; want 3 and the 3 payloads", m.Messages, m.Bytes)
	}
	if ok := channels["ok"]; ok.Messages != 1 || ok.Peers != 1 {
		t.Errorf("channel ok: %+v, want one request and one subscriber", ok)
	}
	if _, ok := channels["nobody"]; ok {
		t.Errorf("a channel with no subscriber is in the state")
	}
	for _, c := range st.Connections {
		if c.Peers[0].Name == "listener" && c.Traffic.BytesOut < 3*10<<10 {
			t.Errorf("the listener's connection sent %d bytes, want at least the 3 payloads", c.Traffic.BytesOut)
		}
		if c.Peers[0].Name == "sender" && c.Traffic.BytesIn < 3*10<<10 {
			t.Errorf("the sender's connection received %d bytes, want at least the 3 payloads", c.Traffic.BytesIn)
		}
	}
}

// TestMetricsRefuseAnUnauthenticatedScrape: without the token, with a
// wrong one, or from a page of another origin, /metrics answers 403.
func TestMetricsRefuseAnUnauthenticatedScrape(t *testing.T) {
	h := hubtest.Start(t, hub.Config{WSAddr: "127.0.0.1:0"})
	base := "http://" + strings.TrimPrefix(h.Addr("ws"), "ws:") + "/metrics"
	for _, c := range []struct {
		name, url, auth, origin string
		want                    int
	}{
		{"no token", base, "", "", http.StatusForbidden},
		{"wrong token", base + "?token=nope", "", "", http.StatusForbidden},
		{"wrong bearer", base, "Bearer nope", "", http.StatusForbidden},
		{"foreign origin", base + "?token=" + h.Token(), "", "http://evil.example", http.StatusForbidden},
		{"token", base + "?token=" + h.Token(), "", "", http.StatusOK},
		{"bearer", base, "Bearer " + h.Token(), "", http.StatusOK},
	} {
		req, _ := http.NewRequest("GET", c.url, nil)
		if c.auth != "" {
			req.Header.Set("Authorization", c.auth)
		}
		if c.origin != "" {
			req.Header.Set("Origin", c.origin)
		}
		resp, err := noKeepAlive.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != c.want {
			t.Errorf("%s: %s, want %d", c.name, resp.Status, c.want)
		}
	}
}
