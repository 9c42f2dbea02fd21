package main

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/ipcbus/ipcbus/hub"
)

// TestVersionPrintsTheStampedVersion: `ipcbus version` prints what the
// Makefile stamps, else the version the go command recorded.
func TestVersionPrintsTheStampedVersion(t *testing.T) {
	saved := version
	t.Cleanup(func() { version = saved })
	version = "v1.2.3-4-gabcdef"
	out, code := runCmd(t, "version")
	if code != exitOK || !regexp.MustCompile(`^ipcbus v1\.2\.3-4-gabcdef go1\.\S+ \w+/\w+\n$`).MatchString(out) {
		t.Fatalf("version: exit %d, %q", code, out)
	}
	version = ""
	out, code = runCmd(t, "version")
	if code != exitOK || !strings.HasPrefix(out, "ipcbus (devel)") && !strings.HasPrefix(out, "ipcbus v") {
		t.Fatalf("unstamped version: exit %d, %q", code, out)
	}
	if _, code := runCmd(t, "version", "extra"); code != exitUsage {
		t.Fatalf("version with an argument: exit %d, want %d", code, exitUsage)
	}
}

// TestTryLineNamesARunnableBinary: serve's "Try:" line names the binary as
// the shell finds it: "ipcbus" when that is it on PATH, else its path.
func TestTryLineNamesARunnableBinary(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", t.TempDir())
	name := selfName()
	if name == "ipcbus" {
		t.Fatal("named ipcbus with nothing of that name on PATH")
	}
	if !strings.Contains(name, "/") || !sameFile(name, exe) {
		t.Fatalf("named %q, which is not this binary (%s) as a path", name, exe)
	}
	dir := t.TempDir()
	if err := os.Symlink(exe, filepath.Join(dir, "ipcbus")); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir)
	if name := selfName(); name != "ipcbus" {
		t.Fatalf("named %q with this binary on PATH as ipcbus", name)
	}
	var out strings.Builder
	// A hub that listens (serve prints once it does) but need not serve.
	h, err := hub.New(hub.Config{UnixPath: filepath.Join(t.TempDir(), "hub.sock")})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Listen(); err != nil {
		t.Fatal(err)
	}
	defer h.Shutdown(context.Background())
	printHowToConnect(&out, h, false)
	if want := "Try: ipcbus listen greeting   and, in another shell:   ipcbus send greeting '\"hello\"'\n"; !strings.HasSuffix(out.String(), want) {
		t.Fatalf("serve printed\n%s\nwant it to end with\n%s", out.String(), want)
	}
}
