package procs

import (
	"flag"
	"net"
	"os"

	"github.com/ipcbus/ipcbus/bench/internal/proto"
	"github.com/ipcbus/ipcbus/bench/internal/raw"
)

// Relay runs the raw relay on a Unix socket path or a TCP loopback port.
func Relay(args []string) error {
	fs := flag.NewFlagSet("relay", flag.ContinueOnError)
	network := fs.String("network", "unix", "unix or tcp")
	addr := fs.String("addr", "", "socket path, or host:port")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *network == "unix" {
		os.Remove(*addr)
	}
	l, err := net.Listen(*network, *addr)
	if err != nil {
		return err
	}
	var r raw.Relay
	go r.Serve(l)
	hello(proto.Reply{Addr: l.Addr().String()})
	untilStdinCloses()
	return l.Close()
}
