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
	commands["call"] = command{"[--timeout D] SERVICE HANDLER [JSON_ARG...]", "call a service's handler and print the result", runCall}
	commands["services"] = command{"[--json]", "list the available services and their handlers", runServices}
}

// runCall calls a handler through a service proxy: it waits up to
// --timeout for the service to start, then for the answer.
func runCall(ctx context.Context, args []string, out io.Writer) int {
	cf := newClientFlags("call")
	timeout := cf.fs.Duration("timeout", wire.DefaultRequestTimeout, "how long to wait for the service and its answer (negative: forever)")
	values, ok := cf.parseValues(args, 2)
	if !ok {
		return exitUsage
	}
	c, ok := cf.dial(ctx)
	if !ok {
		return exitFailed
	}
	defer c.Close()
	// The proxy's own Timeout applies to Connect and Call, each on its own;
	// one deadline covers both here.
	ctx, cancel := withTimeout(ctx, *timeout)
	defer cancel()
	p := bus.NewServiceProxy(c, cf.fs.Arg(0), &bus.ServiceProxyOptions{Timeout: -1})
	defer p.Close()
	if err := p.Connect(ctx); err != nil {
		return fail(err)
	}
	resp, err := p.Call(ctx, cf.fs.Arg(1), values...)
	if err != nil {
		return fail(err)
	}
	return printResponse(out, resp)
}

// runServices prints what the hub answers on wire.ChannelQueryServices.
func runServices(ctx context.Context, args []string, out io.Writer) int {
	cf := newClientFlags("services")
	asJSON := cf.fs.Bool("json", false, "print the list as JSON")
	if !cf.parse(args, 0) {
		return exitUsage
	}
	c, ok := cf.dial(ctx)
	if !ok {
		return exitFailed
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
