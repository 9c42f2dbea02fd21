// Package private checks that a file or folder is one user's alone: the
// checks the hub and its clients make before they trust a socket's folder
// or a token file.
package private

import (
	"errors"
	"fmt"
	"os"
)

// AnyOwner, given to Dir, accepts a folder of any user.
const AnyOwner = -1

// Dir checks the folder at path: a folder (not a symbolic link to one),
// owned by owner (unless AnyOwner), that group and others cannot write —
// whoever can write a socket's folder can replace the socket.
func Dir(path string, owner int) error {
	fi, err := os.Lstat(path)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return errors.New("is not a folder")
	}
	if uid, ok := ownerOf(fi); ok && owner != AnyOwner && uid != owner {
		return fmt.Errorf("is owned by uid %d, not %d", uid, owner)
	}
	if perm := fi.Mode().Perm(); perm&0o022 != 0 {
		return fmt.Errorf("has mode %04o: group or others may write it", perm)
	}
	return nil
}

// ErrNotPrivate is returned by File for a file that is not a regular file
// of this user that only this user may read and write.
var ErrNotPrivate = errors.New("not private to this user (want a regular file of this user, mode 0600)")

// File checks an open file: a regular file of this user, mode 0600 or
// stricter.
func File(fi os.FileInfo) error {
	if !fi.Mode().IsRegular() || fi.Mode().Perm()&0o077 != 0 {
		return ErrNotPrivate
	}
	if uid, ok := ownerOf(fi); ok && uid != os.Getuid() {
		return ErrNotPrivate
	}
	return nil
}
