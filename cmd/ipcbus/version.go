package main

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
)

func init() {
	commands["version"] = command{"", "print the version of this binary", runVersion}
}

// version is stamped at build time by `make build` and `make install`
// (-ldflags "-X main.version=$(git describe --tags --always --dirty)").
var version string

// buildVersion returns the stamped version, else the module version the
// go command recorded: a tag for `go install ...@latest`, a pseudo-version,
// or "(devel)" and the commit for a build in a checkout.
func buildVersion() string {
	if version != "" {
		return version
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "(devel)"
	}
	v := bi.Main.Version
	if v == "" || v == "(devel)" {
		v = "(devel)"
		var rev, modified string
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				modified = s.Value
			}
		}
		if rev != "" {
			v += " " + rev[:min(12, len(rev))]
			if modified == "true" {
				v += "-dirty"
			}
		}
	}
	return v
}

func runVersion(ctx context.Context, args []string, out io.Writer) int {
	fs := newFlagSet("version")
	rest, code, ok := parseFlags(fs, args, out)
	if !ok {
		return code
	}
	if len(rest) > 0 {
		fmt.Fprintln(stderr, "ipcbus version: takes no arguments")
		return exitUsage
	}
	fmt.Fprintf(out, "ipcbus %s %s %s/%s\n", buildVersion(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return exitOK
}
