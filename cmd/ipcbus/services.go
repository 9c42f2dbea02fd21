package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/ipcbus/ipcbus/hub"
	"github.com/ipcbus/ipcbus/shared/bus"
	"github.com/ipcbus/ipcbus/shared/wire"
)

func init() {
	commands["call"] = command{"[--timeout D] [--wait] SERVICE HANDLER [JSON_ARG...]", "call a service's handler and print the result", runCall}
	commands["services"] = command{"[--json]", "list the available services and their handlers", runServices}
}

// runCall calls a handler through a service proxy: a service that is not
// available fails at once (with --wait, it has up to --timeout to start),
// then the answer has what remains of --timeout.
func runCall(ctx context.Context, args []string, out io.Writer) int {
	cf := newClientFlags("call")
	timeout := cf.fs.Duration("timeout", wire.DefaultRequestTimeout, "how long to wait for the service and its answer (negative: forever)")
	wait := cf.fs.Bool("wait", false, "wait up to --timeout for a service that is not available yet")
	values, code, ok := cf.parseValues(args, 2, out)
	if !ok {
		return code
	}
	c, code := cf.dial(ctx)
	if c == nil {
		return code
	}
	defer c.Close()
	// The proxy's own Timeout applies to Connect and Call, each on its own;
	// one deadline covers both here.
	ctx, cancel := withTimeout(ctx, *timeout)
	defer cancel()
	service, handler := cf.args[0], cf.args[1]
	if !*wait {
		// The hub knows which services have started: a name that is not
		// among them fails at once.
		if code, ok := checkAvailable(ctx, c, service); !ok {
			return code
		}
	}
	p := bus.NewServiceProxy(c, service, &bus.ServiceProxyOptions{Timeout: -1})
	defer p.Close()
	if err := p.Connect(ctx); err != nil {
		return fail(err)
	}
	resp, err := p.Call(ctx, handler, values...)
	if err != nil {
		return fail(err)
	}
	return printResponse(out, resp)
}

// checkAvailable asks the hub whether service has started, and says so on
// stderr when it has not, naming those that have.
func checkAvailable(ctx context.Context, c *bus.Client, service string) (int, bool) {
	resp, err := c.Request(ctx, wire.ChannelQueryServices)
	if err != nil {
		return fail(err), false
	}
	var list []hub.ServiceState
	if err := resp.Decode(&list); err != nil {
		return fail(err), false
	}
	names := make([]string, 0, len(list))
	for _, s := range list {
		if s.Name == service {
			return exitOK, true
		}
		names = append(names, s.Name)
	}
	running := "no service is running"
	if len(names) > 0 {
		running = "running: " + strings.Join(names, ", ")
	}
	return failf("ipcbus call: service %q is not available (%s; --wait waits for it)", service, running), false
}

// runServices prints what the hub answers on wire.ChannelQueryServices.
func runServices(ctx context.Context, args []string, out io.Writer) int {
	cf := newClientFlags("services")
	asJSON := cf.fs.Bool("json", false, "print the list as JSON")
	if code, ok := cf.parse(args, 0, out); !ok {
		return code
	}
	c, code := cf.dial(ctx)
	if c == nil {
		return code
	}
	defer c.Close()
	resp, err := c.Request(ctx, wire.ChannelQueryServices)
	if err != nil {
		return fail(err)
	}
	var list []hub.ServiceState
	if err := resp.Decode(&list); err != nil {
		return fail(err)
	}
	if *asJSON {
		b, err := json.MarshalIndent(list, "", "  ")
		if err != nil {
			return fail(err)
		}
		out.Write(append(b, '\n'))
		return exitOK
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SERVICE\tPEER\tPROCESS\tHANDLERS")
	for _, s := range list {
		fmt.Fprintf(tw, "%s\t%d %s\t%s %d\t%s\n", s.Name, s.Peer.ID, s.Peer.Name, s.Peer.Process.Type, s.Peer.Process.PID, strings.Join(s.CallHandlers, ", "))
	}
	if err := tw.Flush(); err != nil {
		return fail(err)
	}
	return exitOK
}
