package orch

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/ipcbus/ipcbus/bench/internal/proto"
)

// proc is a child process that speaks the control protocol: commands on
// its stdin, replies on its stdout. It dies with the orchestrator
// (Pdeathsig) and when its stdin closes.
type proc struct {
	name    string
	cmd     *exec.Cmd
	stdin   io.WriteCloser
	replies chan proto.Reply
	stderr  tailBuffer
	exited  chan struct{}
	seq     int
	hello   proto.Reply
}

// startProc starts argv with extra environment variables and waits for its
// hello line.
func startProc(name string, env []string, argv ...string) (*proc, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	p := &proc{name: name, cmd: cmd, replies: make(chan proto.Reply, 64), exited: make(chan struct{})}
	cmd.Stderr = &p.stderr
	var err error
	if p.stdin, err = cmd.StdinPipe(); err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	go p.read(out)
	go func() { cmd.Wait(); close(p.exited) }()
	r, err := p.await(0, proto.PhaseReady, 30*time.Second)
	if err != nil {
		p.kill()
		return nil, err
	}
	p.hello = r
	return p, nil
}

func (p *proc) read(out io.Reader) {
	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for sc.Scan() {
		line := sc.Bytes()
		if len(line) == 0 || line[0] != '{' {
			continue // a library's stray output
		}
		var r proto.Reply
		if json.Unmarshal(line, &r) == nil {
			p.replies <- r
		}
	}
	close(p.replies)
}

// send writes cmd with a fresh sequence number, which it returns.
func (p *proc) send(cmd proto.Command) (int, error) {
	p.seq++
	cmd.Seq = p.seq
	b, _ := json.Marshal(cmd)
	if _, err := p.stdin.Write(append(b, '\n')); err != nil {
		return 0, fmt.Errorf("%s: %w%s", p.name, err, p.stderr.suffix())
	}
	return cmd.Seq, nil
}

// await returns the reply of seq in phase, or an error after timeout or
// when the process dies.
func (p *proc) await(seq int, phase string, timeout time.Duration) (proto.Reply, error) {
	t := time.NewTimer(timeout)
	defer t.Stop()
	for {
		select {
		case r, ok := <-p.replies:
			if !ok {
				<-p.exited
				return r, fmt.Errorf("%s exited (%v)%s", p.name, p.cmd.ProcessState, p.stderr.suffix())
			}
			if r.Seq == seq && r.Phase == phase {
				return r, nil
			}
			if r.Seq == seq && r.Phase == proto.PhaseDone {
				return r, fmt.Errorf("%s: finished before %s: %s", p.name, phase, r.Err)
			}
		case <-t.C:
			return proto.Reply{}, fmt.Errorf("%s: no %s reply to #%d within %v%s", p.name, phase, seq, timeout, p.stderr.suffix())
		}
	}
}

// call sends cmd and waits for its done reply.
func (p *proc) call(cmd proto.Command, timeout time.Duration) (proto.Reply, error) {
	seq, err := p.send(cmd)
	if err != nil {
		return proto.Reply{}, err
	}
	return p.await(seq, proto.PhaseDone, timeout)
}

// stop closes stdin, which ends every helper, and kills it if it lingers.
func (p *proc) stop() {
	p.stdin.Close()
	select {
	case <-p.exited:
	case <-time.After(8 * time.Second):
		p.kill()
	}
}

func (p *proc) kill() {
	p.cmd.Process.Kill()
	<-p.exited
}

func (p *proc) pid() int { return p.cmd.Process.Pid }

// tailBuffer keeps the last few KiB a process wrote to stderr.
type tailBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (t *tailBuffer) Write(b []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf.Write(b)
	if t.buf.Len() > 8<<10 {
		rest := t.buf.Bytes()[t.buf.Len()-4<<10:]
		t.buf = *bytes.NewBuffer(append([]byte(nil), rest...))
	}
	return len(b), nil
}

func (t *tailBuffer) suffix() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := strings.TrimSpace(t.buf.String())
	if s == "" {
		return ""
	}
	return "; stderr: " + s
}
