package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ipcbus/ipcbus/hub"
	"github.com/ipcbus/ipcbus/hub/hubtest"
	"github.com/ipcbus/ipcbus/nativeclient"
	"github.com/ipcbus/ipcbus/shared/bus"
)

// serveForTest runs `ipcbus serve` with args and returns the addresses it
// prints, by kind ("unix", "tcp", "ws").
func serveForTest(t *testing.T, args ...string) map[string]string {
	t.Helper()
	lines := background(t, append([]string{"serve", "--log-level", "error"}, args...)...)
	addrs := map[string]string{}
	for {
		l := nextLine(t, lines)
		if strings.HasPrefix(l, "Try:") {
			return addrs
		}
		if f := strings.Fields(l); len(f) == 2 && (f[0] == "unix" || f[0] == "tcp" || f[0] == "ws") {
			addrs[f[0]] = f[1]
		}
	}
}

// TestServeTokenWithEveryClientCommand: with `serve --token-file`, every
// client command reaches the TCP and WebSocket listeners with --token,
// --token-file, $IPCBUS_TOKEN or a ws URL's ?token=, and without the token
// is refused.
func TestServeTokenWithEveryClientCommand(t *testing.T) {
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir()) // no default token file to find
	t.Setenv("IPCBUS_TOKEN", "")
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "token")
	addrs := serveForTest(t, "--unix", "", "--tcp", "127.0.0.1:0", "--ws", "127.0.0.1:0", "--token-file", tokenFile)
	fi, err := os.Stat(tokenFile)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("token file: %v, %v; want mode 0600", fi, err)
	}
	b, _ := os.ReadFile(tokenFile)
	token := strings.TrimSpace(string(b))
	if len(token) < 32 || addrs["tcp"] == "" || !strings.HasSuffix(addrs["tcp"], "?token="+token) || !strings.Contains(addrs["ws"], "token="+token) {
		t.Fatalf("serve printed %v; token file holds %q", addrs, token)
	}
	tcp := strings.TrimSuffix(addrs["tcp"], "?token="+token)
	wsNoToken := strings.Replace(addrs["ws"], "?token="+token, "", 1)

	// A service and a listener that answers, both with the token.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	host := dialToken(t, ctx, tcp, token)
	svc, err := bus.NewService(host, "greeter", greeter{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer svc.Stop(context.Background())
	background(t, "listen", "--addr", tcp, "--token-file", tokenFile, "--reply", `"thanks"`, "question")
	waitListening(t, ctx, host, "question")

	withFlag := []string{"--addr", tcp, "--token", token}
	withFile := []string{"--addr", tcp, "--token-file", tokenFile}
	inURL := []string{"--addr", addrs["tcp"]}
	wsURL := []string{"--addr", addrs["ws"]}
	wsFlag := []string{"--addr", wsNoToken, "--token", token}
	for _, way := range [][]string{withFlag, withFile, inURL, wsURL, wsFlag} {
		for _, cmd := range [][]string{
			{"send", "greeting", `"hi"`},
			{"request", "question", `"hi"`},
			{"state"},
			{"services"},
			{"call", "greeter", "Greet", `"Ada"`},
		} {
			args := append(append([]string{cmd[0]}, way...), cmd[1:]...)
			if out, code := runCmd(t, args...); code != exitOK {
				t.Errorf("%v exited %d: %s", args, code, out)
			}
		}
	}
	t.Setenv("IPCBUS_TOKEN", token)
	if out, code := runCmd(t, "request", "--addr", tcp, "question", `"hi"`); code != exitOK || strings.TrimSpace(out) != `"thanks"` {
		t.Errorf("request with $IPCBUS_TOKEN: %q, exit %d", out, code)
	}
	t.Setenv("IPCBUS_TOKEN", "")

	for _, args := range [][]string{
		{"state", "--addr", tcp},
		{"state", "--addr", tcp, "--token", "guess"},
		{"state", "--addr", wsNoToken},
		{"state", "--addr", tcp, "--token-file", filepath.Join(dir, "missing")},
	} {
		if _, code := runCmd(t, args...); code != exitFailed {
			t.Errorf("%v exited %d, want %d", args, code, exitFailed)
		}
	}
}

// TestServeReadsItsTokenFile: a --token-file that exists gives the token;
// one others may read is refused.
func TestServeReadsItsTokenFile(t *testing.T) {
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "token")
	os.WriteFile(tokenFile, []byte("chosen-before\n"), 0o600)
	addrs := serveForTest(t, "--unix", "", "--tcp", "127.0.0.1:0", "--token-file", tokenFile)
	if !strings.HasSuffix(addrs["tcp"], "?token=chosen-before") {
		t.Fatalf("serve printed %v", addrs)
	}
	os.Chmod(tokenFile, 0o644)
	if _, code := runCmd(t, "serve", "--unix", "", "--tcp", "127.0.0.1:0", "--token-file", tokenFile); code != exitFailed {
		t.Fatalf("serve with a token file others may read exited %d", code)
	}
}

// TestClientFindsTheDefaultTokenFile: a client of the hub's user reaches a
// bare TCP port without being given the token.
func TestClientFindsTheDefaultTokenFile(t *testing.T) {
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	t.Setenv("IPCBUS_TOKEN", "")
	addrs := serveForTest(t, "--tcp", "127.0.0.1:0")
	port := addrs["tcp"][strings.LastIndex(addrs["tcp"], ":")+1 : strings.Index(addrs["tcp"], "?")]
	if out, code := runCmd(t, "state", "--addr", port); code != exitOK {
		t.Fatalf("state on a bare port exited %d: %s", code, out)
	}
}

func dialToken(t *testing.T, ctx context.Context, addr, token string) *bus.Client {
	t.Helper()
	c, err := nativeclient.Dial(ctx, addr, &bus.Options{Name: "test", Token: token})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// waitListening waits until some peer listens on channel, as the hub's
// state says.
func waitListening(t *testing.T, ctx context.Context, c *bus.Client, channel string) {
	t.Helper()
	hubtest.Eventually(t, 5*time.Second, "a listener on "+channel, func() bool {
		resp, err := c.Request(ctx, "/electron-common-ipc/queryState")
		if err != nil {
			return false
		}
		var st hub.State
		if resp.Decode(&st) != nil {
			return false
		}
		for _, ch := range st.Channels {
			if ch.Channel == channel && ch.Peers > 0 {
				return true
			}
		}
		return false
	})
}
