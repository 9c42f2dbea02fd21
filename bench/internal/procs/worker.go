package procs

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"time"

	"github.com/ipcbus/ipcbus/bench/internal/link"
	"github.com/ipcbus/ipcbus/bench/internal/worker"
)

// Worker runs a Go bench worker for one system:
//
//	ipcbus     -addr unix:/path | tcp:host:port | ws://...
//	nats       -addr nats://host:port
//	raw-relay  -network unix|tcp -addr relay address
//	raw-direct -network unix|tcp -addr where to listen (peers come by OpPeers)
//	idle-*     the same, for connect-time and idle connections only
func Worker(args []string) error {
	fs := flag.NewFlagSet("worker", flag.ContinueOnError)
	system := fs.String("system", "", "ipcbus, nats, raw-relay or raw-direct")
	network := fs.String("network", "unix", "raw: unix or tcp")
	addr := fs.String("addr", "", "hub, server or relay address; raw-direct: listen address")
	id := fs.Int("id", 0, "worker id: 0 sends and requests, 1.. receive and answer")
	if err := fs.Parse(args); err != nil {
		return err
	}
	w := &worker.Worker{ID: *id}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	switch *system {
	case "ipcbus":
		w.Dial = link.IPCBus(*addr)
	case "nats":
		w.Dial = link.NATS(*addr)
	case "raw-relay":
		w.Dial = link.RawDial(*network, *addr, 255)
		l, err := link.RawRelay(*network, *addr, *id)(ctx)
		if err != nil {
			return err
		}
		w.Link = l
	case "raw-direct":
		if *network == "unix" {
			os.Remove(*addr)
		}
		ln, err := net.Listen(*network, *addr)
		if err != nil {
			return err
		}
		rl := link.RawDirect(*network, ln, *id)
		w.Link, w.Peers = rl, rl.SetPeers
		// Connect time: to this worker's own listener, as a peer would.
		w.Dial = link.RawDial(*network, ln.Addr().String(), 255)
		w.Addr = ln.Addr().String()
	default:
		return fmt.Errorf("worker: unknown system %q", *system)
	}
	if w.Link == nil {
		l, err := w.Dial(ctx)
		if err != nil {
			return err
		}
		w.Link = l
	}
	defer w.Link.Close()
	return w.Serve(os.Stdin, os.Stdout)
}
