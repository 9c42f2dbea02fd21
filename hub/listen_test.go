package hub_test

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ipcbus/ipcbus/hub"
	"github.com/ipcbus/ipcbus/hub/hubtest"
	"github.com/ipcbus/ipcbus/nativeclient"
	"github.com/ipcbus/ipcbus/shared/bus"
	"github.com/ipcbus/ipcbus/shared/wire"
)

func TestUnixSocketModeStaleAndLive(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "hub.sock")

	// A stale socket file (nobody listening) is replaced.
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	l.(*net.UnixListener).SetUnlinkOnClose(false)
	l.Close()
	if _, err := os.Stat(path); err != nil {
		t.Fatal("stale socket file should exist for the test:", err)
	}
	h := hubtest.Start(t, hub.Config{UnixPath: path})
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if mode := fi.Mode().Perm(); mode != 0o600 {
		t.Fatalf("socket mode %o, want 600", mode)
	}
	c, err := nativeDial(h, nil)
	if err != nil {
		t.Fatal(err)
	}
	c.Close()

	// A live one is refused with a clear error.
	h2, err := hub.New(hub.Config{UnixPath: path})
	if err != nil {
		t.Fatal(err)
	}
	if err := h2.Listen(); !errors.Is(err, hub.ErrSocketInUse) {
		t.Fatalf("second hub on a live socket: %v, want ErrSocketInUse", err)
	}

	// A file that is not a socket is left alone.
	plain := filepath.Join(dir, "plain")
	os.WriteFile(plain, []byte("keep me"), 0o600)
	h3, _ := hub.New(hub.Config{UnixPath: plain})
	if err := h3.Listen(); err == nil {
		t.Fatal("listening over a regular file succeeded")
	}
	if b, _ := os.ReadFile(plain); string(b) != "keep me" {
		t.Fatal("a regular file was replaced")
	}
}

func TestTCPBindsLoopbackByDefault(t *testing.T) {
	h := hubtest.Start(t, hub.Config{TCPAddr: ":0"})
	addr := h.Addr("tcp")
	host, _, err := net.SplitHostPort(addr[len("tcp:"):])
	if err != nil || host != "127.0.0.1" {
		t.Fatalf("tcp listener on %q", addr)
	}
	c, err := nativeDial(h, nil)
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
}

func TestConfigNeedsAListener(t *testing.T) {
	if _, err := hub.New(hub.Config{}); err == nil {
		t.Fatal("a hub without listeners was accepted")
	}
}

func TestServeStopsWithItsContext(t *testing.T) {
	h, err := hub.New(hub.Config{UnixPath: filepath.Join(t.TempDir(), "s.sock")})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.Serve(ctx) }()
	hubtest.Eventually(t, 5*time.Second, "listening", func() bool { return h.Addr("unix") != "" })
	c, err := nativeDial(h, &bus.Options{NoReconnect: true}) // it ends with the hub
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Serve: %v", err)
	}
	<-c.Conn().Done()
}

// TestSquattedSocketFolderIsRefused: a socket folder another user created,
// or one anyone may write, is refused by the hub and by its clients, so
// that no one can put a socket of theirs where clients look for the hub's.
func TestSquattedSocketFolderIsRefused(t *testing.T) {
	base := t.TempDir()
	squat := func(name string, mode os.FileMode, uid int) string {
		dir := filepath.Join(base, name)
		if err := os.Mkdir(dir, mode); err != nil {
			t.Fatal(err)
		}
		os.Chmod(dir, mode)
		if uid != os.Getuid() {
			if err := os.Chown(dir, uid, -1); err != nil {
				t.Fatal(err)
			}
		}
		return filepath.Join(dir, "ipcbus.sock")
	}
	cases := map[string]string{
		"0777, own": squat("open", 0o777, os.Getuid()),
		"0770, own": squat("group", 0o770, os.Getuid()),
	}
	if os.Getuid() == 0 {
		cases["0777, another user's"] = squat("other-open", 0o777, 65534)
		cases["0700, another user's"] = squat("other", 0o700, 65534)
	}
	for name, path := range cases {
		h, err := hub.New(hub.Config{UnixPath: path})
		if err != nil {
			t.Fatal(err)
		}
		if err := h.Listen(); !errors.Is(err, hub.ErrUnsafeSocketDir) {
			t.Errorf("%s: Listen: %v, want ErrUnsafeSocketDir", name, err)
		}
		if _, err := os.Lstat(path); err == nil {
			t.Errorf("%s: a socket was created", name)
		}
	}

	// A client does not talk to a socket there either: here the squatter's.
	path := cases["0777, own"]
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := nativeclient.Dial(ctx, "unix:"+path, nil); !errors.Is(err, nativeclient.ErrUntrustedSocket) {
		t.Fatalf("dial into a squatted folder: %v, want ErrUntrustedSocket", err)
	}
	l.(*net.UnixListener).SetDeadline(time.Now().Add(50 * time.Millisecond))
	if c, err := l.Accept(); err == nil {
		c.Close()
		t.Fatal("the client connected to the squatter's socket")
	}

	// A missing folder is created, the user's alone.
	fresh := filepath.Join(base, "fresh", "sub", "ipcbus.sock")
	hubtest.Start(t, hub.Config{UnixPath: fresh})
	fi, err := os.Stat(filepath.Dir(fresh))
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("created folder: %v %v, want mode 0700", fi.Mode(), err)
	}
}

// TestDefaultSocketFolderOfAnotherUser: the default folder
// ($TMPDIR/ipcbus-UID) made beforehand by another user, with a socket of
// theirs in it, is refused by clients even though only they may write it.
func TestDefaultSocketFolderOfAnotherUser(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root, to make a folder of another user")
	}
	t.Setenv("XDG_RUNTIME_DIR", "")
	t.Setenv("TMPDIR", t.TempDir())
	path := nativeclient.DefaultUnixPath()
	os.Mkdir(filepath.Dir(path), 0o755)
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	os.Chown(filepath.Dir(path), 65534, -1)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := nativeclient.Dial(ctx, "", nil); !errors.Is(err, nativeclient.ErrUntrustedSocket) {
		t.Fatalf("dial the default socket in another user's folder: %v, want ErrUntrustedSocket", err)
	}
}

// TestTokenFileWrittenAndRemoved: the hub writes its token and the
// addresses it is good for next to its socket, for its user alone, and
// removes the file when it stops.
func TestTokenFileWrittenAndRemoved(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hub.sock")
	h, err := hub.New(hub.Config{UnixPath: path, TCPAddr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Listen(); err != nil {
		t.Fatal(err)
	}
	if h.TokenFile() != path+".token" {
		t.Fatalf("token file %q", h.TokenFile())
	}
	fi, err := os.Stat(h.TokenFile())
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("token file: %v %v, want mode 0600", fi, err)
	}
	b, _ := os.ReadFile(h.TokenFile())
	if want := h.Token() + "\n" + h.Addr("tcp") + "\n"; string(b) != want {
		t.Fatalf("token file holds %q, want %q", b, want)
	}
	if err := h.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(h.TokenFile()); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("token file after shutdown: %v", err)
	}
}

// TestUnixPidIsTheKernels: a peer on the Unix socket that claims another
// process in hello and in peer.add is known by its real pid.
func TestUnixPidIsTheKernels(t *testing.T) {
	h := hubtest.Start(t, hub.Config{})
	r := dialRaw(t, h)
	r.write(wire.Frame{Kind: wire.KindHello, Body: body(t, wire.Hello{Version: wire.Version, Process: wire.Process{Type: "main", PID: 1}})})
	r.expect(wire.KindWelcome)
	r.write(wire.Frame{Kind: wire.KindPeerAdd, ID: 1, Body: body(t, wire.PeerInfo{Name: "liar", Process: wire.Process{Type: "main", PID: 1}})})
	r.expect(wire.KindPeerAdded)
	st := h.State()
	if len(st.Connections) != 1 || st.Connections[0].Process.PID != os.Getpid() || st.Connections[0].Peers[0].Process.PID != os.Getpid() {
		t.Fatalf("state %+v: want pid %d for the connection and its peer", st.Connections, os.Getpid())
	}
}
