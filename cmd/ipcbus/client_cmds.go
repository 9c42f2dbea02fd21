package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/ipcbus/ipcbus/internal/tokenfile"
	"github.com/ipcbus/ipcbus/nativeclient"
	"github.com/ipcbus/ipcbus/shared/bus"
	"github.com/ipcbus/ipcbus/shared/wire"
)

func init() {
	commands["send"] = command{"CHANNEL [JSON_ARG...]", "send a message", runSend}
	commands["request"] = command{"[--timeout D] CHANNEL [JSON_ARG...]", "send a request and print the answer", runRequest}
	commands["listen"] = command{"[--reply JSON] [--no-reconnect] CHANNEL...", "print each message on the channels as a JSON line; rides through hub restarts", runListen}
	commands["state"] = command{"", "print the hub's state as JSON", runState}
}

// clientFlags are the flags every client command takes.
type clientFlags struct {
	fs        *flag.FlagSet
	addr      *string
	name      *string
	token     *string
	tokenFile *string
}

func newClientFlags(name string) clientFlags {
	fs := flag.NewFlagSet("ipcbus "+name, flag.ContinueOnError)
	return clientFlags{
		fs:        fs,
		addr:      fs.String("addr", "", "hub address (default $"+nativeclient.EnvAddr+", else "+nativeclient.DefaultUnixPath()+")"),
		name:      fs.String("name", "ipcbus-"+name, "peer name"),
		token:     fs.String("token", "", "the hub's token, for TCP and WebSocket addresses (default: the address's ?token=, else $"+nativeclient.EnvToken+", else the hub's token file); visible to other users in /proc/PID/cmdline: prefer --token-file or $"+nativeclient.EnvToken),
		tokenFile: fs.String("token-file", "", "read the hub's token from this file (mode 0600)"),
	}
}

// tokenOption returns the token given by --token or --token-file, or "" to
// let nativeclient find it.
func (cf clientFlags) tokenOption() (string, error) {
	if *cf.token != "" || *cf.tokenFile == "" {
		return *cf.token, nil
	}
	f, err := tokenfile.Read(*cf.tokenFile)
	if err != nil {
		return "", fmt.Errorf("--token-file: %w", err)
	}
	return f.Token, nil
}

func (cf clientFlags) parse(args []string, minArgs int) bool {
	if err := cf.fs.Parse(args); err != nil {
		return false
	}
	if cf.fs.NArg() < minArgs {
		fmt.Fprintf(os.Stderr, "%s: want at least %d argument(s)\n", cf.fs.Name(), minArgs)
		cf.fs.Usage()
		return false
	}
	return true
}

// dial connects a client, reporting failure on stderr.
func (cf clientFlags) dial(ctx context.Context) (*bus.Client, bool) {
	return cf.dialWith(ctx, bus.Options{})
}

// dialWith is dial with options (Name and Token are the flags').
func (cf clientFlags) dialWith(ctx context.Context, opts bus.Options) (*bus.Client, bool) {
	token, err := cf.tokenOption()
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", cf.fs.Name(), err)
		return nil, false
	}
	dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	opts.Name = *cf.name
	opts.Token = token
	c, err := nativeclient.Dial(dctx, *cf.addr, &opts)
	if err != nil {
		a, _ := nativeclient.ParseAddr(*cf.addr)
		fmt.Fprintf(os.Stderr, "ipcbus: cannot reach the hub at %s: %v\n", a, err)
		var ce *wire.CloseError
		if errors.As(err, &ce) && ce.Code == wire.CloseUnauthorized || errors.Is(err, nativeclient.ErrForbidden) {
			fmt.Fprintf(os.Stderr, "ipcbus: give the hub's token with --token-file F or $%s\n", nativeclient.EnvToken)
		}
		return nil, false
	}
	return c, true
}

// parseValues parses the flags and the arguments: fixed positional ones,
// then JSON values.
func (cf clientFlags) parseValues(args []string, fixed int) ([]any, bool) {
	if !cf.parse(args, fixed) {
		return nil, false
	}
	values, err := parseJSONArgs(cf.fs.Args()[fixed:])
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", cf.fs.Name(), err)
		return nil, false
	}
	return values, true
}

// withTimeout bounds ctx by d when d is positive.
func withTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if d > 0 {
		return context.WithTimeout(ctx, d)
	}
	return ctx, func() {}
}

// printResponse prints a response's payload as one JSON line.
func printResponse(out io.Writer, resp *bus.Response) int {
	v, err := resp.Value()
	if err != nil {
		return fail(err)
	}
	out.Write(marshalLine(jsonValue(v)))
	return exitOK
}

func fail(err error) int {
	fmt.Fprintln(os.Stderr, err)
	return exitFailed
}

func runSend(ctx context.Context, args []string, out io.Writer) int {
	cf := newClientFlags("send")
	values, ok := cf.parseValues(args, 1)
	if !ok {
		return exitUsage
	}
	c, ok := cf.dial(ctx)
	if !ok {
		return exitFailed
	}
	defer c.Close()
	if err := c.Send(ctx, cf.fs.Arg(0), values...); err != nil {
		return fail(err)
	}
	// The hub has routed the message once it answers a flush.
	if err := c.Conn().Flush(ctx); err != nil {
		return fail(err)
	}
	return exitOK
}

func runRequest(ctx context.Context, args []string, out io.Writer) int {
	cf := newClientFlags("request")
	timeout := cf.fs.Duration("timeout", wire.DefaultRequestTimeout, "how long to wait for the answer (negative: forever)")
	values, ok := cf.parseValues(args, 1)
	if !ok {
		return exitUsage
	}
	c, ok := cf.dial(ctx)
	if !ok {
		return exitFailed
	}
	defer c.Close()
	ctx, cancel := withTimeout(ctx, *timeout)
	defer cancel()
	resp, err := c.Request(ctx, cf.fs.Arg(0), values...)
	if err != nil {
		return fail(err)
	}
	return printResponse(out, resp)
}

// listenLine is what `ipcbus listen` prints for each message.
type listenLine struct {
	Channel string `json:"channel"`
	Sender  any    `json:"sender"`
	Args    []any  `json:"args"`
	Request bool   `json:"request,omitempty"`
}

func runListen(ctx context.Context, args []string, out io.Writer) int {
	cf := newClientFlags("listen")
	reply := cf.fs.String("reply", "", "resolve each request with this JSON value")
	noReconnect := cf.fs.Bool("no-reconnect", false, "exit when the hub goes away instead of reconnecting")
	if !cf.parse(args, 1) {
		return exitUsage
	}
	var replyValue any
	if *reply != "" {
		v, err := parseJSON(*reply)
		if err != nil {
			fmt.Fprintln(os.Stderr, "ipcbus listen: --reply is not JSON:", err)
			return exitUsage
		}
		replyValue = v
	}
	// Status changes are printed on stderr by the loop below.
	changes := make(chan bus.StatusChange, 64)
	onStatus := func(ch bus.StatusChange) {
		select {
		case changes <- ch:
		default: // a flapping hub: skip a line rather than block
		}
	}
	c, ok := cf.dialWith(ctx, bus.Options{NoReconnect: *noReconnect, MaxReconnects: -1, OnStatus: onStatus})
	if !ok {
		return exitFailed
	}
	defer c.Close()
	lines := make(chan []byte, 1024)
	for _, ch := range cf.fs.Args() {
		c.On(ch, func(e *bus.Event) {
			values, err := e.Values()
			if err != nil {
				values = []any{map[string]string{"error": err.Error()}}
			}
			line := listenLine{Channel: e.Channel, Sender: e.Sender, Args: jsonValue(values).([]any), Request: e.Request != nil}
			if e.Request != nil && *reply != "" {
				e.Request.Resolve(replyValue)
			}
			lines <- marshalLine(line)
		})
	}
	if err := c.Conn().Flush(ctx); err != nil {
		return fail(err)
	}
	fmt.Fprintf(os.Stderr, "ipcbus: listening as peer %d on %v\n", c.Peer().ID, cf.fs.Args())
	for {
		select {
		case l := <-lines:
			out.Write(l)
		case ch := <-changes:
			switch {
			case ch.Status == bus.StatusDisconnected && ch.Attempt == 0:
				fmt.Fprintln(os.Stderr, "ipcbus: disconnected, reconnecting:", ch.Err)
			case ch.Status == bus.StatusConnected && ch.Attempt > 0:
				fmt.Fprintf(os.Stderr, "ipcbus: reconnected, listening as peer %d\n", c.Peer().ID)
			}
		case <-ctx.Done():
			return exitOK
		case <-c.Conn().Done():
			err := c.Conn().Err()
			var ce *wire.CloseError
			if errors.As(err, &ce) && ce.Code.Reconnect() {
				fmt.Fprintln(os.Stderr, "ipcbus: the hub closed the connection:", err)
			}
			return fail(err)
		}
	}
}

func runState(ctx context.Context, args []string, out io.Writer) int {
	cf := newClientFlags("state")
	if !cf.parse(args, 0) {
		return exitUsage
	}
	c, ok := cf.dial(ctx)
	if !ok {
		return exitFailed
	}
	defer c.Close()
	resp, err := c.Request(ctx, wire.ChannelQueryState)
	if err != nil {
		return fail(err)
	}
	v, err := resp.Value()
	if err != nil {
		return fail(err)
	}
	b, err := json.MarshalIndent(jsonValue(v), "", "  ")
	if err != nil {
		return fail(err)
	}
	out.Write(append(b, '\n'))
	return exitOK
}
