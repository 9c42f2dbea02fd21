package main

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ipcbus/ipcbus/hub"
	"github.com/ipcbus/ipcbus/hub/hubtest"
	"github.com/ipcbus/ipcbus/shared/bus"
)

// lockedBuffer is stderr in these tests: commands run in goroutines write it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// take returns what was written and empties the buffer.
func (b *lockedBuffer) take() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.buf.String()
	b.buf.Reset()
	return s
}

// runErr runs a command and returns its stdout, its stderr and its exit code.
func runErr(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	errs := &lockedBuffer{}
	old := stderr
	stderr = errs
	defer func() { stderr = old }()
	out, code := runCmd(t, args...)
	return out, errs.take(), code
}

// TestHelpExitsZero: -h, --help and help print the usage on stdout and
// exit 0; it lists every command and the client flags, each command's
// arguments starting in one column.
func TestHelpExitsZero(t *testing.T) {
	for _, args := range [][]string{{"-h"}, {"--help"}, {"help"}} {
		out, errs, code := runErr(t, args...)
		if code != exitOK || errs != "" {
			t.Fatalf("%v: exit %d, stderr %q", args, code, errs)
		}
		if !strings.HasPrefix(out, "usage: ipcbus COMMAND [flags] [args]\n") {
			t.Fatalf("%v printed %q", args, out)
		}
	}
	out, _, _ := runErr(t, "help")
	col := -1
	for name, c := range commands {
		line := "  " + name
		i := strings.Index(out, "\n"+line+" ")
		if i < 0 && c.usage == "" {
			i = strings.Index(out, "\n"+line+"\n")
		}
		if i < 0 {
			t.Fatalf("usage does not list %s:\n%s", name, out)
		}
		if c.usage == "" {
			continue
		}
		rest := out[i+1:]
		rest = rest[:strings.IndexByte(rest, '\n')]
		at := strings.Index(rest, c.usage)
		if col < 0 {
			col = at
		}
		if at != col {
			t.Errorf("the arguments of %s start at column %d, others at %d:\n%s", name, at, col, out)
		}
	}
	for _, f := range []string{"--addr", "--name", "--token", "--token-file"} {
		if !strings.Contains(out, "\n  "+f+" ") {
			t.Errorf("usage does not list %s", f)
		}
	}
	if _, errs, code := runErr(t); code != exitUsage || !strings.HasPrefix(errs, "usage: ipcbus") {
		t.Errorf("no command: exit %d, stderr %q", code, errs)
	}
}

// TestHelpCommand: `help CMD` and `CMD -h` print the command's usage line
// and every flag it takes, and exit 0.
func TestHelpCommand(t *testing.T) {
	flags := map[string][]string{
		"serve":    {"-unix", "-tcp", "-ws", "-token-file", "-web", "-parent-stdin", "-lame-duck"},
		"listen":   {"-reply", "-no-reconnect", "-addr", "-token-file"},
		"call":     {"-timeout", "-wait", "-addr"},
		"request":  {"-timeout", "-addr", "-name"},
		"send":     {"-addr", "-name", "-token", "-token-file"},
		"services": {"-json", "-addr"},
		"spy":      {"-channel", "-peer", "-json", "-addr"},
		"state":    {"-addr"},
		"version":  nil,
	}
	if len(flags) != len(commands) {
		t.Fatalf("the test knows %d commands, ipcbus has %d", len(flags), len(commands))
	}
	for name, want := range flags {
		for _, args := range [][]string{{"help", name}, {name, "-h"}, {name, "--help"}} {
			out, errs, code := runErr(t, args...)
			if code != exitOK || errs != "" {
				t.Fatalf("%v: exit %d, stderr %q", args, code, errs)
			}
			if first := "usage: ipcbus " + strings.TrimSpace(name+" "+commands[name].usage) + "\n"; !strings.HasPrefix(out, first) {
				t.Fatalf("%v printed %q, want it to begin %q", args, out, first)
			}
			for _, f := range want {
				if !strings.Contains(out, "\n  "+f+" ") && !strings.Contains(out, "\n  "+f+"\n") {
					t.Errorf("%v does not list %s:\n%s", args, f, out)
				}
			}
		}
	}
	if _, errs, code := runErr(t, "help", "nonsense"); code != exitUsage || errs != "ipcbus: unknown command \"nonsense\" (run `ipcbus help` for the list)\n" {
		t.Errorf("help nonsense: exit %d, stderr %q", code, errs)
	}
}

// TestREADMEShowsTheUsage: the README's CLI section is the usage text.
func TestREADMEShowsTheUsage(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	out, _, _ := runErr(t, "help")
	if !strings.Contains(string(readme), "```\n$ ipcbus help\n"+out+"```\n") {
		t.Fatalf("README.md does not show this usage under ```\\n$ ipcbus help:\n%s", out)
	}
}

// TestNoHubAtTheAddress: one line that names the address and how to start
// a hub there.
func TestNoHubAtTheAddress(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "none.sock")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().String()
	l.Close()
	cases := map[string]string{
		"unix:" + sock:                  "ipcbus: no hub at unix:" + sock + " (start one with `ipcbus serve --unix " + sock + "`)\n",
		"unix:/nonexistent/ipcbus.sock": "ipcbus: no hub at unix:/nonexistent/ipcbus.sock (start one with `ipcbus serve --unix /nonexistent/ipcbus.sock`)\n",
		"tcp:" + port + "?token=t":      "ipcbus: no hub at tcp:" + port + " (start one with `ipcbus serve --tcp " + port + "`)\n",
	}
	for addr, want := range cases {
		if _, errs, code := runErr(t, "send", "--addr", addr, "ch"); code != exitFailed || errs != want {
			t.Errorf("send to %s: exit %d, stderr %q\nwant %q", addr, code, errs, want)
		}
	}
}

// TestNotAHub: the hub's WebSocket port given as tcp: is refused at once
// with a reason (the hub's HTTP timeout is a minute here, the client's 5 s),
// and a server that answers something else than a welcome is named not a
// hub.
func TestNotAHub(t *testing.T) {
	h := hubtest.Start(t, hub.Config{WSAddr: "127.0.0.1:0", HandshakeTimeout: time.Minute})
	wsPort := "tcp:" + strings.TrimPrefix(h.Addr("ws"), "ws:")
	want := "ipcbus: the hub at " + wsPort + " refused the connection: this is the hub's WebSocket listener: connect with ws://HOST:PORT/ws, or to its TCP listener\n"
	if _, errs, code := runErr(t, "send", "--addr", wsPort+"?token="+h.Token(), "ch"); code != exitFailed || errs != want {
		t.Errorf("send to the WebSocket port: exit %d, stderr %q\nwant %q", code, errs, want)
	}

	// A server that answers whatever it is sent with an HTTP error.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Add(1)
	go func() {
		defer wg.Done()
		nc, err := l.Accept()
		if err != nil {
			return
		}
		defer nc.Close()
		nc.Write([]byte("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n"))
		buf := make([]byte, 512)
		nc.SetReadDeadline(time.Now().Add(5 * time.Second))
		for {
			if _, err := nc.Read(buf); err != nil {
				return
			}
		}
	}()
	addr := "tcp:" + l.Addr().String()
	want = "ipcbus: " + addr + " is not an ipcbus hub (a hub's WebSocket port takes ws://HOST:PORT/ws)\n"
	if _, errs, code := runErr(t, "send", "--addr", addr+"?token=t", "ch"); code != exitFailed || errs != want {
		t.Errorf("send to an HTTP server: exit %d, stderr %q\nwant %q", code, errs, want)
	}
}

// TestMalformedAddress: refused before dialing, not taken for a path.
func TestMalformedAddress(t *testing.T) {
	cases := map[string]string{
		"htp://foo":       "ipcbus send: --addr: address \"htp://foo\": unknown scheme \"htp\" (want unix:PATH, tcp:HOST:PORT, ws:// or wss://)\n",
		"udp:127.0.0.1:1": "ipcbus send: --addr: address \"udp:127.0.0.1:1\": want host:port (or unix:PATH, ws://)\n",
	}
	for addr, want := range cases {
		if _, errs, code := runErr(t, "send", "--addr", addr, "ch"); code != exitUsage || errs != want {
			t.Errorf("--addr %s: exit %d, stderr %q\nwant %q", addr, code, errs, want)
		}
	}
}

type adder struct{}

func (adder) Add(a, b int) int { return a + b }

// TestCallErrors: a service that is not running fails at once (no
// --timeout passes: it is a minute), naming those that are; an argument of
// the wrong type names the handler, the argument and both types.
func TestCallErrors(t *testing.T) {
	h := hubtest.Start(t, hub.Config{})
	addr := hubtest.Addr(h)
	want := "ipcbus call: service \"calc\" is not available (no service is running; --wait waits for it)\n"
	if _, errs, code := runErr(t, "call", "--addr", addr, "--timeout", "1m", "calc", "Add", "1", "2"); code != exitFailed || errs != want {
		t.Errorf("call to no service: exit %d, stderr %q\nwant %q", code, errs, want)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	svc, err := bus.NewService(hubtest.Dial(t, h, "calc-host", nil), "calc", adder{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer svc.Stop(context.Background())
	hubtest.Eventually(t, 5*time.Second, "calc available", func() bool { return h.IsServiceAvailable("calc") })

	want = "ipcbus call: service \"calx\" is not available (running: calc; --wait waits for it)\n"
	if _, errs, code := runErr(t, "call", "--addr", addr, "--timeout", "1m", "calx", "Add", "1", "2"); code != exitFailed || errs != want {
		t.Errorf("call to a misspelt service: exit %d, stderr %q\nwant %q", code, errs, want)
	}
	_, errs, code := runErr(t, "call", "--addr", addr, "calc", "Add", "1", `"two"`)
	if want := "calc.Add: argument 2 is a string, want int\n"; code != exitFailed || !strings.HasSuffix(errs, want) || strings.Count(errs, "ipcbus:") != 1 {
		t.Errorf("call with a string for an int: exit %d, stderr %q\nwant it to end %q, one ipcbus: prefix", code, errs, want)
	}
	if out, errs, code := runErr(t, "call", "calc", "Add", "--addr", addr, "-1", "3"); code != exitOK || out != "2\n" {
		t.Errorf("flags after the arguments, a negative argument: exit %d, out %q, stderr %q", code, out, errs)
	}
}

// TestArgumentErrors: flags after the arguments are read as flags; a
// string not quoted as JSON gets the same hint in send and listen --reply.
func TestArgumentErrors(t *testing.T) {
	h := hubtest.Start(t, hub.Config{})
	addr := hubtest.Addr(h)
	if _, errs, code := runErr(t, "send", "greeting", `"hi"`, "--addr", addr); code != exitOK || errs != "" {
		t.Errorf("send with --addr last: exit %d, stderr %q", code, errs)
	}
	if _, errs, code := runErr(t, "send", "--addr", addr, "--", "greeting", "--addr"); code != exitUsage ||
		errs != "ipcbus send: argument 1 (\"--addr\") is not JSON: invalid character '-' in numeric literal (quote strings: '\"--addr\"')\n" {
		t.Errorf("send after --: exit %d, stderr %q", code, errs)
	}
	if _, errs, code := runErr(t, "send", "--addr", addr, "greeting", "hello"); code != exitUsage ||
		errs != "ipcbus send: argument 1 (\"hello\") is not JSON: invalid character 'h' looking for beginning of value (quote strings: '\"hello\"')\n" {
		t.Errorf("send hello: exit %d, stderr %q", code, errs)
	}
	if _, errs, code := runErr(t, "listen", "--addr", addr, "--reply", "thanks", "question"); code != exitUsage ||
		errs != "ipcbus listen: --reply \"thanks\" is not JSON: invalid character 'h' in literal true (expecting 'r') (quote strings: '\"thanks\"')\n" {
		t.Errorf("listen --reply thanks: exit %d, stderr %q", code, errs)
	}
	if _, errs, code := runErr(t, "send", "greeting", "--adr", addr); code != exitUsage || !strings.HasPrefix(errs, "flag provided but not defined: -adr\n") {
		t.Errorf("send --adr: exit %d, stderr %q", code, errs)
	}
}

// TestServeWithoutListener names the flags.
func TestServeWithoutListener(t *testing.T) {
	want := "ipcbus serve: no listener: give at least one of --unix PATH, --tcp HOST:PORT, --ws HOST:PORT\n"
	if _, errs, code := runErr(t, "serve", "--unix", "", "--tcp", ""); code != exitUsage || errs != want {
		t.Errorf("exit %d, stderr %q\nwant %q", code, errs, want)
	}
}
