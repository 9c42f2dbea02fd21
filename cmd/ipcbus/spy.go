package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/ipcbus/ipcbus/shared/bus"
	"github.com/ipcbus/ipcbus/shared/wire"
)

func init() {
	commands["spy"] = command{"[--channel PATTERN]... [--peer NAME|ID]... [--json]",
		"print the hub's traffic live: messages, requests with latency and outcome, peers, slow consumers", runSpy}
}

func runSpy(ctx context.Context, args []string, out io.Writer) int {
	cf := newClientFlags("spy")
	var filter bus.SpyFilter
	cf.fs.Var((*stringList)(&filter.Channels), "channel", "only events on channels matching this pattern (repeatable; * is one /-separated segment, ** any number)")
	cf.fs.Var((*stringList)(&filter.Peers), "peer", "only events whose sender or a receiver is this peer name or id (repeatable)")
	asJSON := cf.fs.Bool("json", false, "print one JSON object a line (the default when stdout is not a terminal)")
	if code, ok := cf.parse(args, 0, out); !ok {
		return code
	}
	if len(cf.args) > 0 {
		fmt.Fprintf(stderr, "ipcbus spy: unexpected argument %q (channels are given with --channel)\n", cf.args[0])
		return exitUsage
	}
	c, code := cf.dialWith(ctx, bus.Options{NoReconnect: true})
	if c == nil {
		return code
	}
	defer c.Close()
	pr := spyPrinter{json: *asJSON || !isTerminal(out), color: isTerminal(out) && os.Getenv("NO_COLOR") == ""}
	lines := make(chan []byte, 4096)
	var dropped atomic.Int64
	stop, err := c.Spy(ctx, filter, func(ev bus.SpyEvent) {
		select {
		case lines <- pr.line(ev):
		default: // the terminal is slower than the bus: skip rather than fall behind
			dropped.Add(1)
		}
	})
	if err != nil {
		return fail(err)
	}
	defer stop()
	defer func() {
		if n := dropped.Load(); n > 0 {
			fmt.Fprintf(stderr, "ipcbus: %d events not printed: the output was slower than the bus\n", n)
		}
	}()
	fmt.Fprintf(stderr, "ipcbus: spying as peer %d\n", c.Peer().ID)
	for {
		select {
		case l := <-lines:
			out.Write(l)
		case <-ctx.Done():
			return exitOK
		case <-c.Conn().Done():
			return fail(c.Conn().Err())
		}
	}
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// spyPrinter formats spy events: JSON lines, or aligned columns with
// colors on a terminal.
type spyPrinter struct {
	json, color bool
}

// ANSI colors of the columns.
const (
	ansiReset  = "\x1b[0m"
	ansiDim    = "\x1b[2m"
	ansiRed    = "\x1b[31m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
	ansiBlue   = "\x1b[34m"
	ansiCyan   = "\x1b[36m"
	ansiBold   = "\x1b[1m"
)

func (p spyPrinter) paint(color, s string) string {
	if !p.color || s == "" {
		return s
	}
	return color + s + ansiReset
}

func (p spyPrinter) line(ev bus.SpyEvent) []byte {
	if p.json {
		b, err := json.Marshal(ev)
		if err != nil {
			b, _ = json.Marshal(map[string]string{"error": err.Error()})
		}
		return append(b, '\n')
	}
	var b strings.Builder
	b.WriteString(p.paint(ansiDim, ev.Time.Local().Format("15:04:05.000")))
	b.WriteString("  ")
	kind := ev.Kind
	if ev.Request != 0 {
		kind += " #" + strconv.FormatUint(ev.Request, 10)
	}
	fmt.Fprintf(&b, "%s  ", p.paint(kindColor(ev), fmt.Sprintf("%-15s", kind)))
	if ev.From != nil {
		b.WriteString(peerLabel(*ev.From))
	}
	if len(ev.To) > 0 || ev.Kind == wire.SpySend || ev.Kind == wire.SpyRequest {
		if ev.From != nil {
			b.WriteString(" → ")
		}
		if len(ev.To) == 0 {
			b.WriteString(p.paint(ansiYellow, "nobody"))
		}
		for i, q := range ev.To {
			if i > 0 {
				b.WriteString(", ")
			}
			if i == 4 {
				fmt.Fprintf(&b, "%d more", len(ev.To)-i)
				break
			}
			b.WriteString(peerLabel(q))
		}
	}
	if ev.Channel != "" {
		b.WriteString("  " + p.paint(ansiBold, ev.Channel))
	}
	if ev.Status != "" {
		b.WriteString("  " + p.paint(kindColor(ev), ev.Status))
	}
	if ev.LatencyMS > 0 {
		fmt.Fprintf(&b, " %.3gms", ev.LatencyMS)
	}
	if ev.Size > 0 {
		fmt.Fprintf(&b, "  %dB", ev.Size)
	}
	if ev.Conn != 0 && ev.Kind != wire.SpyPeerJoin && ev.Kind != wire.SpyPeerLeave {
		fmt.Fprintf(&b, "  conn %d", ev.Conn)
	}
	if ev.Reason != "" {
		b.WriteString("  " + ev.Reason)
	}
	if ev.Preview != "" {
		b.WriteString("  " + p.paint(ansiDim, ev.Preview))
	}
	b.WriteByte('\n')
	return []byte(b.String())
}

func kindColor(ev bus.SpyEvent) string {
	switch ev.Kind {
	case wire.SpySend:
		return ansiGreen
	case wire.SpyRequest:
		return ansiCyan
	case wire.SpyResponse:
		switch ev.Status {
		case "resolved":
			return ansiGreen
		case "rejected":
			return ansiRed
		}
		return ansiYellow
	case wire.SpySlowConsumer:
		return ansiRed
	case wire.SpyPortMessage:
		return ansiBlue
	}
	return ansiDim
}

// peerLabel is name#id(type), or (type) for a connection's side of a port.
func peerLabel(p wire.Peer) string {
	if p.ID == 0 {
		return "(" + p.Process.Type + ")"
	}
	return p.Name + "#" + strconv.FormatUint(p.ID, 10) + "(" + p.Process.Type + ")"
}
