package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

// stderr is where commands report errors (a buffer in tests).
var stderr io.Writer = os.Stderr

// newFlagSet returns the flag set of command name; its -h prints the
// command's usage line, summary and flags.
func newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet("ipcbus "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		w := fs.Output()
		c := commands[name]
		fmt.Fprintf(w, "usage: ipcbus %s\n\n%s.\n", strings.TrimSpace(name+" "+c.usage), upperFirst(c.summary))
		n := 0
		fs.VisitAll(func(*flag.Flag) { n++ })
		if n > 0 {
			fmt.Fprintln(w, "\nFlags (before or after the arguments; -- ends them):")
			fs.PrintDefaults()
		}
	}
	return fs
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// parseFlags parses args into fs, flags before or after the arguments
// ("--" ends the flags), and returns the arguments. An argument that looks
// like a flag fs does not define but is JSON (-1, -2.5) is an argument.
// When it returns ok false, the command exits with code: exitOK after -h
// (its usage printed on out), exitUsage after an error (on stderr).
func parseFlags(fs *flag.FlagSet, args []string, out io.Writer) (rest []string, code int, ok bool) {
	var flags []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			rest = append(rest, args[i+1:]...)
			break
		}
		name, hasValue := flagName(a)
		if name == "" {
			rest = append(rest, a)
			continue
		}
		if name == "h" || name == "help" {
			fs.SetOutput(out)
			fs.Usage()
			return nil, exitOK, false
		}
		f := fs.Lookup(name)
		if f == nil {
			if _, err := parseJSON(a); err == nil {
				rest = append(rest, a) // a negative number
				continue
			}
		}
		flags = append(flags, a)
		if f != nil && !hasValue && !isBoolFlag(f) && i+1 < len(args) {
			i++
			flags = append(flags, args[i])
		}
	}
	if err := fs.Parse(flags); err != nil {
		return nil, exitUsage, false
	}
	return rest, exitOK, true
}

// flagName returns the name of the flag a is ("" when a is no flag), and
// whether a carries its value (-name=value).
func flagName(a string) (name string, hasValue bool) {
	if len(a) < 2 || a[0] != '-' {
		return "", false
	}
	name = strings.TrimPrefix(a[1:], "-")
	name, _, hasValue = strings.Cut(name, "=")
	return name, hasValue
}

func isBoolFlag(f *flag.Flag) bool {
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

// failf prints one line on stderr and returns exitFailed.
func failf(format string, args ...any) int {
	fmt.Fprintf(stderr, format+"\n", args...)
	return exitFailed
}

// plain returns err's message without the "ipcbus: " prefixes its layers
// stacked, for a line that begins with one.
func plain(err error) string {
	return strings.ReplaceAll(err.Error(), "ipcbus: ", "")
}
