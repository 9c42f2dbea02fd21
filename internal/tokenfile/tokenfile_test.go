package tokenfile

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/ipcbus/ipcbus/internal/private"
)

func TestWriteRead(t *testing.T) {
	path := filepath.Join(t.TempDir(), "token")
	want := File{Token: "t0k", Addrs: []string{"tcp:127.0.0.1:1", "ws:127.0.0.1:2"}}
	if err := Write(path, want); err != nil {
		t.Fatal(err)
	}
	got, err := Read(path)
	if err != nil || got.Token != want.Token || !got.For("ws:127.0.0.1:2") || got.For("tcp:127.0.0.1:2") {
		t.Fatalf("Read = %+v, %v", got, err)
	}
	// A file written by hand: the token alone, surrounded by blanks.
	os.WriteFile(path, []byte("  by-hand \n"), 0o600)
	if got, err := Read(path); err != nil || got.Token != "by-hand" || len(got.Addrs) != 0 {
		t.Fatalf("Read = %+v, %v", got, err)
	}
}

func TestReadRefuses(t *testing.T) {
	dir := t.TempDir()
	open := filepath.Join(dir, "open")
	os.WriteFile(open, []byte("t\n"), 0o644)
	os.Chmod(open, 0o644)
	if _, err := Read(open); !errors.Is(err, private.ErrNotPrivate) {
		t.Errorf("a file others may read: %v", err)
	}
	empty := filepath.Join(dir, "empty")
	os.WriteFile(empty, []byte("\nsecond line\n"), 0o600)
	if _, err := Read(empty); err == nil {
		t.Error("a file without a token on its first line was accepted")
	}
	if os.Getuid() == 0 {
		other := filepath.Join(dir, "other")
		os.WriteFile(other, []byte("t\n"), 0o600)
		os.Chown(other, 65534, -1)
		if _, err := Read(other); !errors.Is(err, private.ErrNotPrivate) {
			t.Errorf("another user's file: %v", err)
		}
	}
	if _, err := Read(filepath.Join(dir, "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a missing file: %v", err)
	}
}
