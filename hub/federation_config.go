package hub

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
	"time"
)

// NATSConfig federates the hub with others over NATS (see
// docs/federation.md): the hub keeps its local peers, and what crosses
// hubs travels as NATS messages. The zero value: no federation.
type NATSConfig struct {
	// URLs are the NATS servers to join (nats://host:port), tried in
	// order (list the nearest first); the hub fails over to the others and
	// to the cluster's nodes their servers tell of. Ignored when Embedded
	// is set.
	URLs []string
	// CredsFile is a NATS credentials file (user JWT and nkey seed), as
	// nats.UserCredentials takes it. Empty: no credentials.
	CredsFile string
	// TLSCAFile is a PEM file of the CAs the NATS servers' certificates
	// are checked against (default: the system's); TLSCertFile and
	// TLSKeyFile a client certificate and its key, for servers that
	// verify clients. Any of them makes the connection TLS, as a tls://
	// URL does. They apply to URLs, not to Embedded.
	TLSCAFile   string
	TLSCertFile string
	TLSKeyFile  string

	// Embedded runs nats-server inside the hub, which then joins it
	// in-process: a single host needs no other process, and a few hubs
	// form a cluster with ClusterAddr and Routes.
	Embedded bool
	// ListenAddr is the embedded server's client listener (host:port; port
	// 0 picks a free one), for other hubs to join with URLs. Empty: a free
	// loopback port, not advertised.
	ListenAddr string
	// ClusterAddr is the embedded server's route listener (host:port; port
	// 0 picks a free one). Empty: no cluster.
	ClusterAddr string
	// Routes are the other cluster nodes' route URLs
	// (nats-route://host:port); one live node is enough, the others are
	// learned from it.
	Routes []string
	// ClusterName names the cluster. Default "ipcbus".
	ClusterName string

	// Prefix begins every subject the hub uses. Default "ipcbus"; hubs
	// federate only with hubs of the same prefix.
	Prefix string
	// HubID identifies the hub in the federation and makes its peer ids
	// (HubID<<32 | n) unique across hubs: 1 to 2^20-1. Default random.
	HubID uint32
	// MaxPendingMsgs bounds the messages received from NATS and not yet
	// delivered, per subscription; past it NATS drops them (logged as a
	// slow consumer). Default 1<<20 (and 256 MiB).
	MaxPendingMsgs int

	// Heartbeat is how often the hub tells the others it is alive.
	// Default 1s.
	Heartbeat time.Duration
	// HeartbeatTimeout is how long a hub may go unheard before the others
	// take it as gone and fail the requests waiting on its peers
	// (responder-gone). A hub that shuts down tells them at once. Default
	// 3 × Heartbeat; it must be over Heartbeat.
	HeartbeatTimeout time.Duration
}

func (n NATSConfig) usesTLS() bool {
	return n.TLSCAFile != "" || n.TLSCertFile != "" || n.TLSKeyFile != ""
}

// tlsConfig loads the TLS files, nil when there are none.
func (n NATSConfig) tlsConfig() (*tls.Config, error) {
	if !n.usesTLS() {
		return nil, nil
	}
	c := &tls.Config{MinVersion: tls.VersionTLS12}
	if n.TLSCAFile != "" {
		pem, err := os.ReadFile(n.TLSCAFile)
		if err != nil {
			return nil, fmt.Errorf("hub: federation: NATS TLS CA: %w", err)
		}
		c.RootCAs = x509.NewCertPool()
		if !c.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("hub: federation: NATS TLS CA: no PEM certificate in %s", n.TLSCAFile)
		}
	}
	if n.TLSCertFile != "" {
		cert, err := tls.LoadX509KeyPair(n.TLSCertFile, n.TLSKeyFile)
		if err != nil {
			return nil, fmt.Errorf("hub: federation: NATS TLS client certificate: %w", err)
		}
		c.Certificates = []tls.Certificate{cert}
	}
	return c, nil
}

// maxHubID keeps peer ids below 2^52, exact as JavaScript numbers.
const maxHubID = 1<<20 - 1

// enabled reports whether the hub federates.
func (n NATSConfig) enabled() bool { return n.Embedded || len(n.URLs) > 0 }

func (n NATSConfig) withDefaults() (NATSConfig, error) {
	if !n.enabled() {
		if n.ListenAddr != "" || n.ClusterAddr != "" || len(n.Routes) > 0 {
			return n, errors.New("hub: config: NATS.ListenAddr, ClusterAddr and Routes need NATS.Embedded")
		}
		return n, nil
	}
	if (n.TLSCertFile == "") != (n.TLSKeyFile == "") {
		return n, errors.New("hub: config: NATS.TLSCertFile and NATS.TLSKeyFile go together")
	}
	if n.Embedded && n.usesTLS() {
		return n, errors.New("hub: config: NATS.TLS options are for joining URLs; an embedded server is joined in-process")
	}
	if n.Prefix == "" {
		n.Prefix = "ipcbus"
	}
	if strings.ContainsAny(n.Prefix, " \t\r\n*>") || strings.HasPrefix(n.Prefix, ".") || strings.HasSuffix(n.Prefix, ".") {
		return n, fmt.Errorf("hub: config: NATS.Prefix %q is not a NATS subject", n.Prefix)
	}
	if n.HubID == 0 {
		n.HubID = 1 + rand.Uint32N(maxHubID)
	}
	if n.HubID > maxHubID {
		return n, fmt.Errorf("hub: config: NATS.HubID %d is over %d", n.HubID, maxHubID)
	}
	if n.ClusterName == "" {
		n.ClusterName = "ipcbus"
	}
	if n.MaxPendingMsgs == 0 {
		n.MaxPendingMsgs = 1 << 20
	}
	if n.MaxPendingMsgs < 0 {
		return n, errors.New("hub: config: negative NATS.MaxPendingMsgs")
	}
	if n.Heartbeat == 0 {
		n.Heartbeat = time.Second
	}
	if n.HeartbeatTimeout == 0 {
		n.HeartbeatTimeout = 3 * n.Heartbeat
	}
	if n.Heartbeat < 0 || n.HeartbeatTimeout <= n.Heartbeat {
		return n, fmt.Errorf("hub: config: NATS.Heartbeat %v must be positive and under NATS.HeartbeatTimeout %v", n.Heartbeat, n.HeartbeatTimeout)
	}
	for _, a := range []string{n.ListenAddr, n.ClusterAddr} {
		if a == "" {
			continue
		}
		if _, _, err := splitHostPort(a); err != nil {
			return n, fmt.Errorf("hub: config: NATS address %q: %v", a, err)
		}
	}
	if len(n.Routes) > 0 && n.ClusterAddr == "" {
		return n, errors.New("hub: config: NATS.Routes need NATS.ClusterAddr")
	}
	return n, nil
}

// splitHostPort splits host:port for nats-server, whose port -1 is a free
// one (its 0 would be the default port).
func splitHostPort(a string) (string, int, error) {
	host, ps, err := net.SplitHostPort(a)
	if err != nil {
		return "", 0, err
	}
	port, err := strconv.Atoi(ps)
	if err != nil || port < 0 || port > 65535 {
		return "", 0, fmt.Errorf("bad port %q", ps)
	}
	if port == 0 {
		port = -1
	}
	if host == "" {
		host = "127.0.0.1"
	}
	return host, port, nil
}
