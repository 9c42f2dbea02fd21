package orch

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Setup builds the helper binary into a temporary directory and checks
// that Node and the pinned electron-common-ipc are there, running
// `npm ci` in bench/node when node_modules is missing. benchDir is the
// bench module's directory. Call the returned cleanup when done.
func Setup(benchDir string, log *os.File) (*Env, func(), error) {
	if mod, err := os.ReadFile(filepath.Join(benchDir, "go.mod")); err != nil || !strings.Contains(string(mod), "module github.com/ipcbus/ipcbus/bench\n") {
		return nil, nil, fmt.Errorf("run the bench from its module's directory: cd bench && go run ./cmd/bench")
	}
	tmp, err := os.MkdirTemp("", "ipcbus-bench-")
	if err != nil {
		return nil, nil, err
	}
	cleanup := func() { os.RemoveAll(tmp) }
	e := &Env{benchproc: filepath.Join(tmp, "benchproc"), nodeDir: filepath.Join(benchDir, "node"), benchDir: benchDir, tmp: tmp}
	build := exec.Command("go", "build", "-o", e.benchproc, "./cmd/benchproc")
	build.Dir = benchDir
	build.Stdout, build.Stderr = log, log
	if err := build.Run(); err != nil {
		cleanup()
		return nil, nil, fmt.Errorf("build benchproc: %w", err)
	}
	if _, err := exec.LookPath("node"); err != nil {
		cleanup()
		return nil, nil, fmt.Errorf("node is needed for electron-common-ipc: %w", err)
	}
	if _, err := os.Stat(filepath.Join(e.nodeDir, "node_modules", "electron-common-ipc", "package.json")); err != nil {
		fmt.Fprintln(log, "bench: installing electron-common-ipc (npm ci in bench/node)")
		npm := exec.Command("npm", "ci", "--no-audit", "--no-fund")
		npm.Dir = e.nodeDir
		npm.Stdout, npm.Stderr = log, log
		if err := npm.Run(); err != nil {
			cleanup()
			return nil, nil, fmt.Errorf("npm ci in %s: %w", e.nodeDir, err)
		}
	}
	// The ipcbus package's Node entry, for the ipcbus-node rows.
	pkg := filepath.Join(tmp, "ipcbus-node")
	web := exec.Command("sh", filepath.Join(benchDir, "..", "web", "build.sh"), pkg)
	web.Stdout, web.Stderr = log, log
	if err := web.Run(); err != nil {
		cleanup()
		return nil, nil, fmt.Errorf("web/build.sh (the ipcbus Node client): %w", err)
	}
	e.ipcbusJS = filepath.Join(pkg, "node.cjs")
	return e, cleanup, nil
}
