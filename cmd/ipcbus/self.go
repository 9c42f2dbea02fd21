package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// selfName returns how to run this binary again from the shell it was
// started in: "ipcbus" when that name on PATH is this binary, else its
// path, relative when it is under the working directory (bin/ipcbus after
// `make run`).
func selfName() string {
	exe, err := os.Executable()
	if err != nil {
		return "ipcbus"
	}
	if p, err := exec.LookPath("ipcbus"); err == nil && sameFile(p, exe) {
		return "ipcbus"
	}
	if wd, err := os.Getwd(); err == nil {
		if rel, err := filepath.Rel(wd, exe); err == nil && rel != ".." && !strings.HasPrefix(rel, "../") {
			if !strings.Contains(rel, "/") {
				rel = "./" + rel
			}
			return rel
		}
	}
	return exe
}

func sameFile(a, b string) bool {
	fa, err := os.Stat(a)
	if err != nil {
		return false
	}
	fb, err := os.Stat(b)
	return err == nil && os.SameFile(fa, fb)
}
