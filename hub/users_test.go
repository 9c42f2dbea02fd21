package hub_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ipcbus/ipcbus/hub"
	"github.com/ipcbus/ipcbus/hub/hubtest"
	"github.com/ipcbus/ipcbus/nativeclient"
	"github.com/ipcbus/ipcbus/shared/bus"
	"github.com/ipcbus/ipcbus/shared/wire"
)

// otherUserEnv carries the action a copy of this test binary runs as
// another user (see TestHelperOtherUser).
const otherUserEnv = "IPCBUS_TEST_OTHER_USER"

// TestHelperOtherUser is not a test: it is the other user's process of
// TestOtherUserIsKeptOut. It runs one action and prints its result as one
// line: "ok [pid]" or "error CODE: message".
func TestHelperOtherUser(t *testing.T) {
	action := os.Getenv(otherUserEnv)
	if action == "" {
		t.Skip("run by TestOtherUserIsKeptOut only")
	}
	verb, arg, _ := strings.Cut(action, " ")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var err error
	switch verb {
	case "read":
		_, err = os.ReadFile(arg)
	case "dial":
		// The peer claims another process: the hub must not believe it on
		// a Unix socket.
		var c *bus.Client
		c, err = nativeclient.Dial(ctx, arg, &bus.Options{Name: "other", Process: bus.Process{Type: "main", PID: 4242}})
		if err == nil {
			err = c.Send(ctx, "secret", "from the other user")
			if err == nil {
				err = c.Conn().Flush(ctx)
			}
			c.Close()
		}
	default:
		err = fmt.Errorf("unknown action %q", action)
	}
	var ce *wire.CloseError
	switch {
	case err == nil:
		fmt.Println("ok")
	case errors.As(err, &ce):
		fmt.Printf("error %s: %v\n", ce.Code, err)
	case errors.Is(err, nativeclient.ErrForbidden):
		fmt.Printf("error forbidden: %v\n", err)
	case errors.Is(err, os.ErrPermission):
		fmt.Printf("error permission: %v\n", err)
	default:
		fmt.Printf("error other: %v\n", err)
	}
}

// asOtherUser runs action in a copy of this test binary as the user
// nobody and returns what it printed and its pid.
func asOtherUser(t *testing.T, action string) (string, int) {
	t.Helper()
	bin := otherUserBinary(t)
	cmd := exec.Command(bin, "-test.run=^TestHelperOtherUser$", "-test.count=1")
	cmd.Dir = filepath.Dir(bin)
	cmd.Env = []string{otherUserEnv + "=" + action, "XDG_RUNTIME_DIR=" + os.Getenv("XDG_RUNTIME_DIR"), "PATH=/usr/bin:/bin"}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(nobody.uid), Gid: uint32(nobody.gid)}}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var line string
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if l := sc.Text(); strings.HasPrefix(l, "ok") || strings.HasPrefix(l, "error ") {
			line = l
		}
	}
	io.Copy(io.Discard, out)
	cmd.Wait()
	if line == "" {
		t.Fatalf("%s as nobody printed no result", action)
	}
	return line, cmd.Process.Pid
}

var nobody struct{ uid, gid int }

// otherUserBinary copies this test binary where nobody may run it, once.
func otherUserBinary(t *testing.T) string {
	t.Helper()
	u, err := user.Lookup("nobody")
	if err != nil || os.Getuid() != 0 {
		t.Skip("needs root and a user nobody, to run a second local user")
	}
	nobody.uid, _ = strconv.Atoi(u.Uid)
	nobody.gid, _ = strconv.Atoi(u.Gid)
	dir, err := os.MkdirTemp("", "ipcbus-other-user-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o755)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "hub.test")
	if err := os.WriteFile(bin, b, 0o755); err != nil {
		t.Fatal(err)
	}
	return bin
}

// TestOtherUserIsKeptOut: a second local user can neither read nor write
// the bus, over TCP without the token (which it cannot read either), over
// the WebSocket, or over the Unix socket, while the hub's own user finds
// the token by itself and connects to a bare port.
func TestOtherUserIsKeptOut(t *testing.T) {
	otherUserBinary(t)
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	h := hubtest.Start(t, hub.Config{UnixPath: nativeclient.DefaultUnixPath(), TCPAddr: "127.0.0.1:0", WSAddr: "127.0.0.1:0"})
	owner := hubtest.Dial(t, h, "owner", nil)
	heard := make(chan string, 10)
	owner.On("secret", func(e *bus.Event) { var s string; e.Args(&s); heard <- s })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := owner.Conn().Flush(ctx); err != nil {
		t.Fatal(err)
	}

	wsNoToken := strings.Replace(h.WSURL(), "?token="+h.Token(), "", 1)
	for _, tc := range []struct{ action, want string }{
		{"read " + nativeclient.DefaultTokenPath(), "error permission"},
		{"dial " + h.Addr("tcp"), "error unauthorized"},
		{"dial " + h.Addr("tcp") + "?token=guess", "error unauthorized"},
		{"dial " + wsNoToken, "error forbidden"},
		{"dial " + h.Addr("unix"), "error permission"},
	} {
		if got, _ := asOtherUser(t, tc.action); !strings.HasPrefix(got, tc.want) {
			t.Errorf("as nobody, %s: %s; want %s", tc.action, got, tc.want)
		}
	}
	select {
	case m := <-heard:
		t.Fatalf("the owner heard %q from the other user", m)
	default:
	}

	// The hub's own user needs no token: a bare port finds it in the token
	// file. A context of its own: the other-user runs above may have spent
	// the first one on a loaded machine.
	ctx, cancel = context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := nativeclient.Dial(ctx, strings.TrimPrefix(h.Addr("tcp"), "tcp:127.0.0.1:"), nil)
	if err != nil {
		t.Fatalf("the owner on a bare port: %v", err)
	}
	defer c.Close()
	if err := c.Send(ctx, "secret", "from the owner"); err != nil {
		t.Fatal(err)
	}
	if m := <-heard; m != "from the owner" {
		t.Fatalf("heard %q", m)
	}
}

// TestUnixPeerCredentials: on a Unix socket opened to every user, the hub
// still refuses users other than its own unless allowed, and takes an
// allowed peer's pid from the kernel rather than from its hello.
func TestUnixPeerCredentials(t *testing.T) {
	otherUserBinary(t)
	open := func(h *hub.Hub) {
		// What a careless deployment might do: the socket and its folder
		// opened to everyone.
		path := strings.TrimPrefix(h.Addr("unix"), "unix:")
		os.Chmod(filepath.Dir(path), 0o755)
		os.Chmod(path, 0o666)
	}
	strict := hubtest.Start(t, hub.Config{})
	open(strict)
	if got, _ := asOtherUser(t, "dial "+strict.Addr("unix")); !strings.HasPrefix(got, "error unauthorized") || !strings.Contains(got, fmt.Sprintf("uid %d", nobody.uid)) {
		t.Errorf("nobody on an open socket: %s; want refused by uid", got)
	}

	shared := hubtest.Start(t, hub.Config{AllowUIDs: []int{nobody.uid}})
	open(shared)
	owner := hubtest.Dial(t, shared, "owner", nil)
	senders := make(chan bus.Peer, 1)
	owner.On("secret", func(e *bus.Event) { senders <- e.Sender })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := owner.Conn().Flush(ctx); err != nil {
		t.Fatal(err)
	}
	got, pid := asOtherUser(t, "dial "+shared.Addr("unix"))
	if got != "ok" {
		t.Fatalf("an allowed user: %s", got)
	}
	select {
	case s := <-senders:
		if s.Process.PID != pid || s.Name != "other" {
			t.Fatalf("sender %+v: want pid %d from the kernel, not the 4242 it claimed", s, pid)
		}
	case <-ctx.Done():
		t.Fatal("the allowed user's message did not arrive")
	}
}
