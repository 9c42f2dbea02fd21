package hub

import (
	"net/http"
	"strings"

	"github.com/ipcbus/ipcbus/shared/wire"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics is the hub's Prometheus registry: a collector that reads the
// hub's counters at each scrape (the data path counts with its own
// atomics), the request latency histogram, and the Go runtime's and the
// process's collectors.
type metrics struct {
	reg            *prometheus.Registry
	requestSeconds prometheus.Histogram
}

func newMetrics(h *Hub) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		requestSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "ipcbus_request_duration_seconds",
			Help:    "Time from a request to its response, whatever the outcome.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}),
	}
	m.reg.MustRegister(m.requestSeconds, hubCollector{h}, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

var (
	descConnections      = prometheus.NewDesc("ipcbus_connections", "Open connections, by listener.", []string{"listener"}, nil)
	descPeers            = prometheus.NewDesc("ipcbus_peers", "Peers on the bus, by process type.", []string{"process_type"}, nil)
	descChannels         = prometheus.NewDesc("ipcbus_channels", "Channels with at least one subscriber.", nil, nil)
	descSpies            = prometheus.NewDesc("ipcbus_spies", "Spies attached.", nil, nil)
	descFramesIn         = prometheus.NewDesc("ipcbus_frames_in_total", "Frames read from clients.", nil, nil)
	descBytesIn          = prometheus.NewDesc("ipcbus_bytes_in_total", "Bytes of the frames read from clients.", nil, nil)
	descFramesOut        = prometheus.NewDesc("ipcbus_frames_out_total", "Frames written to clients.", nil, nil)
	descBytesOut         = prometheus.NewDesc("ipcbus_bytes_out_total", "Bytes of the frames written to clients.", nil, nil)
	descSends            = prometheus.NewDesc("ipcbus_sends_total", "Sends routed.", nil, nil)
	descRequests         = prometheus.NewDesc("ipcbus_requests_total", "Requests settled, by outcome.", []string{"outcome"}, nil)
	descSlowConsumers    = prometheus.NewDesc("ipcbus_slow_consumer_closes_total", "Connections closed as slow consumers.", nil, nil)
	descCloses           = prometheus.NewDesc("ipcbus_connection_closes_total", "Connections closed, by close code.", []string{"code"}, nil)
	descRefusedFrames    = prometheus.NewDesc("ipcbus_frames_refused_total", "Connections closed for a frame the hub refused, by reason.", []string{"reason"}, nil)
	descRefusedConns     = prometheus.NewDesc("ipcbus_connections_refused_total", "Connections refused before their hello or at their upgrade.", nil, nil)
	descDropped          = prometheus.NewDesc("ipcbus_dropped_total", "Things the hub dropped: responses to settled requests, messages on closed ports, spies that fell behind.", []string{"what"}, nil)
	refusedFrameCodes    = []wire.CloseCode{wire.CloseProtocolError, wire.ClosePolicy, wire.CloseFrameTooLarge, wire.CloseLimit, wire.CloseVersion, wire.CloseUnauthorized}
	listenerKinds        = []string{"unix", "tcp", "ws"}
	requestOutcomeLabels = statusNames
)

// hubCollector reads the hub's counters and gauges at a scrape.
type hubCollector struct{ h *Hub }

func (hubCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descConnections, descPeers, descChannels, descSpies, descFramesIn, descBytesIn, descFramesOut, descBytesOut,
		descSends, descRequests, descSlowConsumers, descCloses, descRefusedFrames, descRefusedConns, descDropped} {
		ch <- d
	}
}

func (hc hubCollector) Collect(ch chan<- prometheus.Metric) {
	h := hc.h
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	gauge := func(d *prometheus.Desc, v int, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, float64(v), labels...)
	}

	byKind := map[string]int{}
	h.mu.Lock()
	conns := make([]*conn, 0, len(h.conns))
	for c := range h.conns {
		conns = append(conns, c)
	}
	h.mu.Unlock()
	byType := map[string]int{}
	h.router.mu.RLock()
	for _, c := range conns {
		if c.welcomed.Load() && !c.cut {
			byKind[c.kind]++
		}
	}
	for _, p := range h.router.peers {
		byType[p.info.Process.Type]++
	}
	channels := len(h.router.channels)
	h.router.mu.RUnlock()
	for _, k := range listenerKinds {
		gauge(descConnections, byKind[k], k)
	}
	for t, n := range byType {
		gauge(descPeers, n, t)
	}
	gauge(descChannels, channels)
	gauge(descSpies, len(h.tap()))

	t := h.totalTraffic()
	counter(descFramesIn, t.FramesIn)
	counter(descBytesIn, t.BytesIn)
	counter(descFramesOut, t.FramesOut)
	counter(descBytesOut, t.BytesOut)
	counter(descSends, h.stats.sends.Load())
	for s, name := range requestOutcomeLabels {
		counter(descRequests, h.stats.requests[s].Load(), name)
	}
	closes := func(code wire.CloseCode) uint64 { return h.stats.closes[code-wire.CloseNormal].Load() }
	counter(descSlowConsumers, closes(wire.CloseSlowConsumer))
	for code := wire.CloseNormal; code <= wire.CloseInternal; code++ {
		counter(descCloses, closes(code), strings.ReplaceAll(code.String(), " ", "_"))
	}
	for _, code := range refusedFrameCodes {
		counter(descRefusedFrames, closes(code), strings.ReplaceAll(code.String(), " ", "_"))
	}
	counter(descRefusedConns, uint64(h.Refused()))
	counter(descDropped, h.stats.droppedResponses.Load(), "response")
	counter(descDropped, h.stats.droppedPortMessages.Load(), "port_message")
	counter(descDropped, h.stats.droppedSpies.Load(), "spy")
}

// MetricsHandler returns the hub's metrics in Prometheus's text format, as
// the WebSocket listener serves them at /metrics. It admits what the
// WebSocket upgrade admits: the hub's token, as ?token= or as
// "Authorization: Bearer TOKEN" (a Prometheus scrape config's
// authorization), and an Origin the hub allows, or none. Anything else is
// answered 403.
func (h *Hub) MetricsHandler() http.Handler {
	ph := promhttp.HandlerFor(h.metrics.reg, promhttp.HandlerOpts{})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if why := h.httpRefusal(r); why != "" {
			h.refusals.add("metrics", why)
			w.Header().Set("Connection", "close")
			http.Error(w, "ipcbus: "+why, http.StatusForbidden)
			return
		}
		ph.ServeHTTP(w, r)
	})
}

// httpRefusal says why a plain HTTP request to the hub is refused, or "".
func (h *Hub) httpRefusal(r *http.Request) string {
	token := r.URL.Query().Get("token")
	if a := r.Header.Get("Authorization"); token == "" && strings.HasPrefix(a, "Bearer ") {
		token = strings.TrimPrefix(a, "Bearer ")
	}
	if !tokenEqual(token, h.token) {
		return "bad token"
	}
	h.mu.Lock()
	ok := h.originAllowed(r.Header.Get("Origin"))
	h.mu.Unlock()
	if !ok {
		return "origin not allowed"
	}
	return ""
}
