// Command ipcbus runs an ipcbus hub and talks to one from the shell.
//
//	ipcbus serve [flags]                 run the hub
//	ipcbus send CHANNEL ARGS...          send JSON args on a channel
//	ipcbus request CHANNEL ARGS...       send a request, print the answer
//	ipcbus listen CHANNEL...             print each message as a JSON line
//	ipcbus state                         print the hub's state as JSON
//	ipcbus call SERVICE HANDLER ARGS...  call a service's handler
//	ipcbus services                      list the available services
//
// Client commands find the hub with --addr, else $IPCBUS_ADDR, else the
// default Unix socket, and present its token on TCP and WebSocket
// addresses (--token-file, --token, ?token=, $IPCBUS_TOKEN, or the token
// file of the hub on the default socket). Run `ipcbus help` for every
// command and flag.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
	"text/tabwriter"
)

// command is one subcommand. Each file registers its own in init.
type command struct {
	usage   string // arguments, after the command name
	summary string
	run     func(ctx context.Context, args []string, out io.Writer) int
}

var commands = map[string]command{}

// Exit codes.
const (
	exitOK     = 0
	exitFailed = 1 // the operation failed: refused, rejected, timed out
	exitUsage  = 2
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout)
	stop()
	os.Exit(code)
}

// run runs one command until it is done or ctx ends.
func run(ctx context.Context, args []string, out io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help":
		usage(out)
		return exitOK
	case "help":
		if len(args) == 1 {
			usage(out)
			return exitOK
		}
		if _, ok := commands[args[1]]; !ok {
			return unknownCommand(args[1])
		}
		return commands[args[1]].run(ctx, []string{"-h"}, out)
	}
	cmd, ok := commands[args[0]]
	if !ok {
		return unknownCommand(args[0])
	}
	return cmd.run(ctx, args[1:], out)
}

func unknownCommand(name string) int {
	fmt.Fprintf(stderr, "ipcbus: unknown command %q (run `ipcbus help` for the list)\n", name)
	return exitUsage
}

// usage prints the commands and the flags every client command takes.
func usage(w io.Writer) {
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "usage: ipcbus COMMAND [flags] [args]")
	fmt.Fprintln(tw)
	fmt.Fprintln(tw, "Commands:")
	width := 0
	for _, n := range names {
		width = max(width, len(n))
	}
	for _, n := range names {
		c := commands[n]
		fmt.Fprintf(tw, "  %s\n  %-*s    %s\n", strings.TrimRight(fmt.Sprintf("%-*s  %s", width, n, c.usage), " "), width, "", c.summary)
	}
	fmt.Fprintln(tw)
	fmt.Fprintln(tw, "Flags of the client commands (call, listen, request, send, services, spy, state):")
	cf := newClientFlags("CMD")
	cf.fs.VisitAll(func(f *flag.Flag) {
		fmt.Fprintf(tw, "  --%s\t%s\n", f.Name, clientFlagHelp[f.Name])
	})
	tw.Flush()
	fmt.Fprintln(w)
	fmt.Fprintln(w, "ADDR is unix:/path, tcp:host:port[?token=T], a port, a path, or ws://host:port/ws[?token=T].")
	fmt.Fprintln(w, "The token (TCP and WebSocket only) is, in order: --token or --token-file, the address's ?token=,")
	fmt.Fprintln(w, "$IPCBUS_TOKEN, else the token file of the hub on the default socket.")
	fmt.Fprintln(w, "Flags go before or after the arguments; -- ends them.")
	fmt.Fprintln(w, "`ipcbus help COMMAND` (or `ipcbus COMMAND -h`) shows a command's arguments and every flag.")
}

// clientFlagHelp is the one-line help of each client flag in the usage.
var clientFlagHelp = map[string]string{
	"addr":       "ADDR: the hub (default $IPCBUS_ADDR, else the default Unix socket)",
	"name":       "NAME: this peer's name (default ipcbus-COMMAND)",
	"token":      "T: the hub's token (visible in /proc/PID/cmdline: prefer --token-file)",
	"token-file": "F: read the hub's token from this file (mode 0600)",
}
