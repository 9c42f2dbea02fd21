package main

import (
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/ipcbus/ipcbus/hub"
)

// natsFlags defines serve's federation flags on fs; the function returned
// gives the hub's NATS config once fs is parsed.
func natsFlags(fs *flag.FlagSet) func() hub.NATSConfig {
	urls := fs.String("nats", "", "federate with other hubs through these NATS servers (URL[,URL...], tried in order)")
	creds := fs.String("nats-creds", "", "NATS credentials file (user JWT and nkey seed)")
	tlsCA := fs.String("nats-tls-ca", "", "PEM file of the CAs to check the NATS servers' certificates against (default the system's; makes the connection TLS)")
	tlsCert := fs.String("nats-tls-cert", "", "with --nats-tls-key: a client certificate (PEM) for NATS servers that verify clients")
	tlsKey := fs.String("nats-tls-key", "", "the key (PEM) of --nats-tls-cert")
	embedded := fs.Bool("nats-embedded", false, "run a NATS server inside the hub and federate through it")
	listen := fs.String("nats-listen", "", "with --nats-embedded: its client listener HOST:PORT, for other hubs' --nats (default none)")
	cluster := fs.String("nats-cluster", "", "with --nats-embedded: its cluster (route) listener HOST:PORT (default none)")
	routes := fs.String("nats-routes", "", "with --nats-cluster: the other nodes' route URLs (nats-route://HOST:PORT[,...]; one live node is enough)")
	clusterName := fs.String("nats-cluster-name", "", `with --nats-cluster: the cluster's name (default "ipcbus")`)
	prefix := fs.String("nats-prefix", "", `the subjects' prefix: hubs federate with hubs of the same one (default "ipcbus")`)
	hubID := fs.Uint("nats-hub-id", 0, "this hub's id in the federation, 1 to 1048575: the high bits of its peer ids (default random)")
	return func() hub.NATSConfig {
		return hub.NATSConfig{
			URLs:        splitList(*urls),
			CredsFile:   *creds,
			TLSCAFile:   *tlsCA,
			TLSCertFile: *tlsCert,
			TLSKeyFile:  *tlsKey,
			Embedded:    *embedded,
			ListenAddr:  *listen,
			ClusterAddr: *cluster,
			Routes:      splitList(*routes),
			ClusterName: *clusterName,
			Prefix:      *prefix,
			HubID:       uint32(min(*hubID, 1<<32-1)),
		}
	}
}

// splitList splits a comma-separated flag value, dropping empty items.
func splitList(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// printFederation tells how the hub federates, when it does.
func printFederation(w io.Writer, h *hub.Hub) {
	if h.HubID() == 0 {
		return
	}
	fmt.Fprintf(w, "Federated over NATS as hub %d", h.HubID())
	if u := h.NATSClientURL(); u != "" {
		fmt.Fprintf(w, "; other hubs join with --nats %s", u)
	}
	if a := h.NATSClusterAddr(); a != "" {
		fmt.Fprintf(w, "; other nodes route to nats-route://%s", a)
	}
	fmt.Fprintln(w, ".")
}
