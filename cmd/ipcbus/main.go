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
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"syscall"
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
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(out)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(os.Stderr, "ipcbus: unknown command %q\n", args[0])
		usage(os.Stderr)
		return exitUsage
	}
	return cmd.run(ctx, args[1:], out)
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: ipcbus COMMAND [flags] [args]")
	fmt.Fprintln(w)
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		c := commands[n]
		fmt.Fprintf(w, "  %-8s %-28s %s\n", n, c.usage, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Client commands take --addr ADDR (unix:/path, tcp:host:port[?token=T], a port, a path or a ws:// URL);")
	fmt.Fprintln(w, "the default is $IPCBUS_ADDR, else the default Unix socket. On TCP and WebSocket addresses they")
	fmt.Fprintln(w, "present the hub's token: --token-file F, --token T (visible in /proc/PID/cmdline), the address's")
	fmt.Fprintln(w, "?token=, $IPCBUS_TOKEN, else the token file of the hub on the default socket.")
	fmt.Fprintln(w, "`ipcbus COMMAND -h` lists its flags.")
}
