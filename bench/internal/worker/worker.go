// Package worker is the Go side of a bench worker process: it reads
// commands (package proto) on stdin, plays the role each asks for (sender,
// receiver, requester, responder, connector) over a link, and writes the
// measurements back on stdout.
package worker

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/ipcbus/ipcbus/bench/internal/link"
	"github.com/ipcbus/ipcbus/bench/internal/proto"
)

// Worker runs commands over its link.
type Worker struct {
	ID   int
	Link link.Link
	// Dial opens fresh connections for OpConnect and OpIdle.
	Dial link.Dialer
	// Peers receives OpPeers (raw direct links); nil elsewhere.
	Peers func(addrs []string)
	// Addr, when set, is announced in the hello: where peers reach this
	// worker (raw direct).
	Addr string

	out  *json.Encoder
	omu  sync.Mutex
	idle []link.Link
}

// Serve answers the commands read from in until OpQuit or EOF.
func (w *Worker) Serve(in io.Reader, out io.Writer) error {
	w.out = json.NewEncoder(out)
	w.reply(proto.Reply{Phase: proto.PhaseReady, PID: os.Getpid(), Addr: w.Addr})
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		var cmd proto.Command
		if err := json.Unmarshal(sc.Bytes(), &cmd); err != nil {
			return fmt.Errorf("worker: bad command: %w", err)
		}
		if cmd.Op == proto.OpQuit {
			break
		}
		r := w.run(&cmd)
		r.Seq, r.Phase = cmd.Seq, proto.PhaseDone
		w.reply(r)
	}
	w.release()
	return sc.Err()
}

func (w *Worker) reply(r proto.Reply) {
	w.omu.Lock()
	defer w.omu.Unlock()
	w.out.Encode(r)
}

// ready tells the orchestrator a long command is in place.
func (w *Worker) ready(cmd *proto.Command) {
	w.reply(proto.Reply{Seq: cmd.Seq, Phase: proto.PhaseReady})
}

func (w *Worker) run(cmd *proto.Command) proto.Reply {
	timeout := time.Duration(cmd.TimeoutMS) * time.Millisecond
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	switch cmd.Op {
	case proto.OpRecv:
		return w.recv(ctx, cmd)
	case proto.OpSend:
		return w.send(ctx, cmd)
	case proto.OpServe:
		return w.serve(ctx, cmd)
	case proto.OpUnserve:
		return w.unserve(cmd)
	case proto.OpReqSeq:
		return w.reqSeq(ctx, cmd)
	case proto.OpReqPar:
		return w.reqPar(ctx, cmd)
	case proto.OpBigRecv:
		return w.bigRecv(ctx, cmd)
	case proto.OpBigSend:
		return w.bigSend(ctx, cmd)
	case proto.OpConnect:
		return w.connect(ctx, cmd)
	case proto.OpIdle:
		return w.openIdle(ctx, cmd)
	case proto.OpRelease:
		w.release()
		return proto.Reply{}
	case proto.OpPeers:
		if w.Peers != nil {
			w.Peers(cmd.Addrs)
		}
		return proto.Reply{}
	}
	return proto.Reply{Err: "unknown op " + cmd.Op}
}

func errReply(err error) proto.Reply { return proto.Reply{Err: err.Error()} }
