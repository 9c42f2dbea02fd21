package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"strings"
	"syscall"
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
	args      []string // the arguments, once parsed
	addr      *string
	name      *string
	token     *string
	tokenFile *string
}

func newClientFlags(name string) *clientFlags {
	fs := newFlagSet(name)
	return &clientFlags{
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

// parse parses the flags and the arguments, at least minArgs of them; see
// parseFlags for the code when ok is false.
func (cf *clientFlags) parse(args []string, minArgs int, out io.Writer) (code int, ok bool) {
	cf.args, code, ok = parseFlags(cf.fs, args, out)
	if !ok {
		return code, false
	}
	if len(cf.args) < minArgs {
		fmt.Fprintf(stderr, "%s: want at least %d argument(s): %s\n", cf.fs.Name(), minArgs, commands[strings.TrimPrefix(cf.fs.Name(), "ipcbus ")].usage)
		fmt.Fprintf(stderr, "Run `%s -h` for its flags.\n", cf.fs.Name())
		return exitUsage, false
	}
	return exitOK, true
}

// dial connects a client, reporting failure on stderr: it returns the
// client, or nil and the exit code.
func (cf *clientFlags) dial(ctx context.Context) (*bus.Client, int) {
	return cf.dialWith(ctx, bus.Options{})
}

// dialWith is dial with options (Name and Token are the flags').
func (cf *clientFlags) dialWith(ctx context.Context, opts bus.Options) (*bus.Client, int) {
	a, err := nativeclient.ParseAddr(*cf.addr)
	if err != nil {
		fmt.Fprintf(stderr, "%s: --addr: %s\n", cf.fs.Name(), plain(err))
		return nil, exitUsage
	}
	token, err := cf.tokenOption()
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", cf.fs.Name(), err)
		return nil, exitFailed
	}
	dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	opts.Name = *cf.name
	opts.Token = token
	c, err := nativeclient.Dial(dctx, *cf.addr, &opts)
	if err != nil {
		fmt.Fprintln(stderr, dialError(a, err))
		return nil, exitFailed
	}
	return c, exitOK
}

// dialError is the line that says why the hub at a could not be reached.
func dialError(a nativeclient.Addr, err error) string {
	var ce *wire.CloseError
	switch {
	case errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ECONNREFUSED):
		serve := "ipcbus serve"
		if a.Network == "unix" && a.Address != nativeclient.DefaultUnixPath() {
			serve += " --unix " + a.Address
		} else if a.Network == "tcp" {
			serve += " --tcp " + a.Address
		}
		return fmt.Sprintf("ipcbus: no hub at %s (start one with `%s`)", a, serve)
	case errors.Is(err, bus.ErrNotAHub):
		hint := ""
		if a.Network == "tcp" {
			hint = " (a hub's WebSocket port takes ws://HOST:PORT/ws)"
		}
		return fmt.Sprintf("ipcbus: %s is not an ipcbus hub%s", a, hint)
	case errors.As(err, &ce) && ce.Code == wire.CloseUnauthorized || errors.Is(err, nativeclient.ErrForbidden):
		return fmt.Sprintf("ipcbus: the hub at %s refused the token: give it with --token-file F or $%s", a, nativeclient.EnvToken)
	case errors.As(err, &ce) && ce.Reason != "":
		return fmt.Sprintf("ipcbus: the hub at %s refused the connection: %s", a, ce.Reason)
	case errors.Is(err, bus.ErrTimeout):
		return fmt.Sprintf("ipcbus: no answer from %s: %s (is it an ipcbus hub?)", a, strings.TrimPrefix(plain(err), "connect to "+a.String()+": "))
	}
	return fmt.Sprintf("ipcbus: cannot reach the hub at %s: %s", a, strings.TrimPrefix(plain(err), "connect: "))
}

// parseValues parses the flags and the arguments: fixed positional ones,
// then JSON values.
func (cf *clientFlags) parseValues(args []string, fixed int, out io.Writer) ([]any, int, bool) {
	if code, ok := cf.parse(args, fixed, out); !ok {
		return nil, code, false
	}
	values, err := parseJSONArgs(cf.args[fixed:])
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", cf.fs.Name(), err)
		return nil, exitUsage, false
	}
	return values, exitOK, true
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
	fmt.Fprintln(stderr, "ipcbus:", plain(err))
	return exitFailed
}

func runSend(ctx context.Context, args []string, out io.Writer) int {
	cf := newClientFlags("send")
	values, code, ok := cf.parseValues(args, 1, out)
	if !ok {
		return code
	}
	c, code := cf.dial(ctx)
	if c == nil {
		return code
	}
	defer c.Close()
	if err := c.Send(ctx, cf.args[0], values...); err != nil {
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
	values, code, ok := cf.parseValues(args, 1, out)
	if !ok {
		return code
	}
	c, code := cf.dial(ctx)
	if c == nil {
		return code
	}
	defer c.Close()
	ctx, cancel := withTimeout(ctx, *timeout)
	defer cancel()
	resp, err := c.Request(ctx, cf.args[0], values...)
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
	if code, ok := cf.parse(args, 1, out); !ok {
		return code
	}
	var replyValue any
	if *reply != "" {
		v, err := parseJSONFlag("--reply", *reply)
		if err != nil {
			fmt.Fprintln(stderr, "ipcbus listen:", err)
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
	c, code := cf.dialWith(ctx, bus.Options{NoReconnect: *noReconnect, MaxReconnects: -1, OnStatus: onStatus})
	if c == nil {
		return code
	}
	defer c.Close()
	lines := make(chan []byte, 1024)
	undecoded := make(chan string, 64) // error lines, for stderr
	for _, ch := range cf.args {
		c.On(ch, func(e *bus.Event) {
			values, err := e.Values()
			if e.Request != nil && *reply != "" {
				e.Request.Resolve(replyValue)
			}
			if err != nil {
				// A payload too deep or too complex (or not msgpack) is
				// reported and skipped: listening goes on.
				undecoded <- fmt.Sprintf("ipcbus listen: a message on %q from peer %d (%s) could not be decoded (%d bytes of args): %v",
					e.Channel, e.Sender.ID, e.Sender.Name, len(e.RawArgs()), err)
				return
			}
			line := listenLine{Channel: e.Channel, Sender: e.Sender, Args: jsonValue(values).([]any), Request: e.Request != nil}
			lines <- marshalLine(line)
		})
	}
	if err := c.Conn().Flush(ctx); err != nil {
		return fail(err)
	}
	fmt.Fprintf(stderr, "ipcbus: listening as peer %d on %v\n", c.Peer().ID, cf.args)
	for {
		select {
		case l := <-lines:
			out.Write(l)
		case l := <-undecoded:
			fmt.Fprintln(stderr, l)
		case ch := <-changes:
			switch {
			case ch.Status == bus.StatusDisconnected && ch.Attempt == 0:
				fmt.Fprintln(stderr, "ipcbus: disconnected, reconnecting:", ch.Err)
			case ch.Status == bus.StatusConnected && ch.Attempt > 0:
				fmt.Fprintf(stderr, "ipcbus: reconnected, listening as peer %d\n", c.Peer().ID)
			}
		case <-ctx.Done():
			return exitOK
		case <-c.Conn().Done():
			err := c.Conn().Err()
			var ce *wire.CloseError
			if errors.As(err, &ce) && ce.Code.Reconnect() {
				fmt.Fprintln(stderr, "ipcbus: the hub closed the connection:", err)
			}
			return fail(err)
		}
	}
}

func runState(ctx context.Context, args []string, out io.Writer) int {
	cf := newClientFlags("state")
	if code, ok := cf.parse(args, 0, out); !ok {
		return code
	}
	c, code := cf.dial(ctx)
	if c == nil {
		return code
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
