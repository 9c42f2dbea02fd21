// Package tokenfile reads and writes the file through which a hub hands its
// token to the clients of its own user: the token on the first line, then
// the TCP and WebSocket addresses it is good for, one a line
// ("tcp:127.0.0.1:50494", "ws:127.0.0.1:50495"). The file is the user's
// alone (mode 0600); one that others may read or write is not trusted.
package tokenfile

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/ipcbus/ipcbus/internal/private"
)

// maxBytes bounds what Read reads: a token and a few addresses; the rest
// of a longer file is ignored.
const maxBytes = 4 << 10

// File is what a token file holds.
type File struct {
	Token string
	Addrs []string // empty in a file written by hand: the token alone
}

// For reports whether the file lists addr ("tcp:host:port" or
// "ws:host:port").
func (f File) For(addr string) bool { return slices.Contains(f.Addrs, addr) }

// Write writes f to path with mode 0600, replacing what is there (through
// a temporary file in the same folder, so that a reader never sees half a
// file).
func Write(path string, f File) error {
	var b strings.Builder
	b.WriteString(f.Token + "\n")
	for _, a := range f.Addrs {
		b.WriteString(a + "\n")
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+"-*")
	if err != nil {
		return fmt.Errorf("token file: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("token file: %w", err)
	}
	if _, err := tmp.WriteString(b.String()); err != nil {
		tmp.Close()
		return fmt.Errorf("token file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("token file: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("token file: %w", err)
	}
	return nil
}

// Read reads the token file at path. It refuses a file that is not a
// regular file owned by this user, or that group or others may read or
// write, and one whose first line is empty.
func Read(path string) (File, error) {
	fh, err := os.Open(path)
	if err != nil {
		return File{}, err
	}
	defer fh.Close()
	fi, err := fh.Stat()
	if err != nil {
		return File{}, err
	}
	if err := private.File(fi); err != nil {
		return File{}, fmt.Errorf("token file %s: %w", path, err)
	}
	var f File
	sc := bufio.NewScanner(io.LimitReader(fh, maxBytes))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if f.Token == "" {
			if line == "" {
				break
			}
			f.Token = line
			continue
		}
		if line != "" {
			f.Addrs = append(f.Addrs, line)
		}
	}
	if err := sc.Err(); err != nil {
		return File{}, fmt.Errorf("token file %s: %w", path, err)
	}
	if f.Token == "" {
		return File{}, fmt.Errorf("token file %s: no token on its first line", path)
	}
	return f, nil
}
