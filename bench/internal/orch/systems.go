package orch

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"

	"github.com/ipcbus/ipcbus/bench/internal/proto"
)

// Workers is how many worker processes a system gets: worker 0 sends and
// requests, workers 1-4 receive and answer.
const Workers = 5

// Env is where the helpers are.
type Env struct {
	benchproc string // the built cmd/benchproc
	nodeDir   string // bench/node, with node_modules
	ipcbusJS  string // the ipcbus package's Node entry (web/build.sh into tmp), for ipcbus-node
	benchDir  string // bench/
	tmp       string // sockets go here
}

// System is one bus (or ceiling) on one transport.
type System struct {
	Name      string // as in the tables: "ipcbus-unix"
	Family    string // ipcbus, eci, nats, raw-direct, raw-relay
	Transport string // unix, tcp, ws
	// HasHub says whether there is a hub process.
	HasHub bool
	// Memory says whether the idle-connection memory is measured. It is
	// measured once per hub and kind of listener (the TCP siblings of the
	// Unix rows run the same hub code, and a socket's kernel buffers are not
	// in the hub's RSS either way): 10,000 connections three times over
	// is a good part of the run's time.
	Memory bool
	// Big says whether the big-payload scenario runs: ipcbus Go to Go,
	// ipcbus Node to Node and electron-common-ipc, over Unix sockets.
	Big bool
	// Federated runs two ipcbus hubs in the hub process, federated over
	// an embedded NATS server: worker 0 is on the first, the others on the
	// second, so that everything measured crosses hubs.
	Federated bool
	// env for every process of the system (eci-tcp-nodelay sets one).
	Env []string
}

// Systems lists every system, in table order.
func Systems() []System {
	return []System{
		{Name: "ipcbus-unix", Family: "ipcbus", Transport: "unix", HasHub: true, Memory: true, Big: true},
		{Name: "ipcbus-tcp", Family: "ipcbus", Transport: "tcp", HasHub: true},
		{Name: "ipcbus-ws", Family: "ipcbus", Transport: "ws", HasHub: true, Memory: true},
		{Name: "ipcbus-fed-unix", Family: "ipcbus", Transport: "unix", HasHub: true, Federated: true},
		// The browser rows: a page in headless Chromium; both are measured
		// in the same page runs (browser.go).
		{Name: BrowserWasm, Family: "browser", Transport: "ws", HasHub: true},
		{Name: BrowserRaw, Family: "browser", Transport: "ws"},
		// ipcbus's Node client (client.wasm under Node, the npm package's
		// entry) against the same hub as ipcbus-unix, with electron-common-ipc's
		// Node workers' script (node/worker.js over BENCH_IPCBUS).
		{Name: "ipcbus-node-unix", Family: "ipcbus-node", Transport: "unix", HasHub: true, Big: true},
		{Name: "eci-unix", Family: "eci", Transport: "unix", HasHub: true, Memory: true, Big: true},
		{Name: "eci-tcp", Family: "eci", Transport: "tcp", HasHub: true},
		{Name: "eci-tcp-nodelay", Family: "eci", Transport: "tcp", HasHub: true, Env: []string{"BENCH_NODELAY=1"}},
		{Name: "nats-tcp", Family: "nats", Transport: "tcp", HasHub: true, Memory: true},
		{Name: "raw-direct-unix", Family: "raw-direct", Transport: "unix"},
		{Name: "raw-direct-tcp", Family: "raw-direct", Transport: "tcp"},
		{Name: "raw-relay-unix", Family: "raw-relay", Transport: "unix", HasHub: true, Memory: true},
		{Name: "raw-relay-tcp", Family: "raw-relay", Transport: "tcp", HasHub: true},
	}
}

// nodeWorkers says whether the system's workers are Node processes
// (node/worker.js).
func (s System) nodeWorkers() bool { return s.Family == "eci" || s.Family == "ipcbus-node" }

// running is a started system.
type running struct {
	sys     System
	env     *Env
	hub     *proc
	workers []*proc
	addr    string // what workers connect to
	addrB   string // Federated: what workers 1 and up connect to
}

// startHub starts the system's hub, broker, server or relay.
func (s System) startHub(e *Env) (*running, error) {
	r := &running{sys: s, env: e}
	sock := filepath.Join(e.tmp, s.Name+".sock")
	var err error
	switch s.Family {
	case "ipcbus", "ipcbus-node":
		argv := []string{e.benchproc, "hub", "-unix", sock}
		if s.Federated {
			argv = append(argv, "-federated")
		}
		if r.hub, err = startProc(s.Name+" hub", s.Env, argv...); err != nil {
			return nil, err
		}
		a := r.hub.hello.Addrs
		pick := func(a []string) string { return map[string]string{"unix": a[0], "tcp": a[1], "ws": a[2]}[s.Transport] }
		r.addr = pick(a)
		if s.Federated && len(a) == 6 {
			r.addrB = pick(a[3:])
		}
		if r.addr == "" || s.Federated && r.addrB == "" {
			r.hub.stop()
			return nil, fmt.Errorf("%s: the hub has no %s listener", s.Name, s.Transport)
		}
	case "eci":
		argv := []string{"node", filepath.Join(e.nodeDir, "broker.js")}
		if s.Transport == "unix" {
			argv = append(argv, "--path", sock)
		}
		if r.hub, err = startProc(s.Name+" broker", s.Env, argv...); err != nil {
			return nil, err
		}
		r.addr = r.hub.hello.Addr
	case "nats":
		if r.hub, err = startProc(s.Name+" server", s.Env, e.benchproc, "nats"); err != nil {
			return nil, err
		}
		r.addr = r.hub.hello.Addr
	case "raw-relay":
		addr := sock
		if s.Transport == "tcp" {
			addr = "127.0.0.1:0"
		}
		if r.hub, err = startProc(s.Name+" relay", s.Env, e.benchproc, "relay", "-network", s.Transport, "-addr", addr); err != nil {
			return nil, err
		}
		r.addr = r.hub.hello.Addr
	}
	return r, nil
}

// startWorker starts worker id.
func (r *running) startWorker(id int) (*proc, error) {
	s, e := r.sys, r.env
	name := fmt.Sprintf("%s worker %d", s.Name, id)
	switch s.Family {
	case "ipcbus-node":
		env := append([]string{"BENCH_IPCBUS=" + e.ipcbusJS}, s.Env...)
		return startProc(name, env, "node", filepath.Join(e.nodeDir, "worker.js"), "--id", fmt.Sprint(id), "--path", r.addr)
	case "eci":
		argv := []string{"node", filepath.Join(e.nodeDir, "worker.js"), "--id", fmt.Sprint(id)}
		if s.Transport == "unix" {
			argv = append(argv, "--path", r.addr)
		} else {
			argv = append(argv, "--port", r.addr)
		}
		return startProc(name, s.Env, argv...)
	case "raw-direct":
		addr := filepath.Join(e.tmp, fmt.Sprintf("%s-w%d.sock", s.Name, id))
		if s.Transport == "tcp" {
			addr = "127.0.0.1:0"
		}
		return startProc(name, s.Env, e.benchproc, "worker", "-system", s.Family, "-network", s.Transport, "-addr", addr, "-id", fmt.Sprint(id))
	case "raw-relay":
		return startProc(name, s.Env, e.benchproc, "worker", "-system", s.Family, "-network", s.Transport, "-addr", r.addr, "-id", fmt.Sprint(id))
	}
	addr := r.addr
	if s.Federated && id > 0 {
		addr = r.addrB
	}
	return startProc(name, s.Env, e.benchproc, "worker", "-system", s.Family, "-addr", addr, "-id", fmt.Sprint(id))
}

// start starts the hub and the workers.
func (s System) start(e *Env) (*running, error) {
	r, err := s.startHub(e)
	if err != nil {
		return nil, err
	}
	// Start the workers side by side: Node takes a while to load.
	r.workers = make([]*proc, Workers)
	errs := make([]error, Workers)
	var wg sync.WaitGroup
	for id := range Workers {
		wg.Go(func() { r.workers[id], errs[id] = r.startWorker(id) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		r.stop()
		return nil, err
	}
	if s.Family == "raw-direct" {
		addrs := make([]string, len(r.workers))
		for i, w := range r.workers {
			addrs[i] = w.hello.Addr
		}
		for _, w := range r.workers {
			if _, err := w.call(proto.Command{Op: proto.OpPeers, Addrs: addrs}, defaultTimeout); err != nil {
				r.stop()
				return nil, err
			}
		}
	}
	return r, nil
}

// stop ends every process of the system.
func (r *running) stop() {
	for _, w := range r.workers {
		if w != nil {
			w.stop()
		}
	}
	r.workers = nil
	if r.hub != nil {
		r.hub.stop()
		r.hub = nil
	}
}

// SelectSystems filters Systems by a comma-separated list of names or
// families; empty selects all.
func SelectSystems(list string) ([]System, error) {
	all := Systems()
	if list == "" {
		return all, nil
	}
	var out []System
	for _, want := range strings.Split(list, ",") {
		found := false
		for _, s := range all {
			if s.Name == want || s.Family == want {
				out = append(out, s)
				found = true
			}
		}
		if !found {
			return nil, fmt.Errorf("unknown system %q", want)
		}
	}
	// The browser rows come together: they are measured in one page run.
	if WantsBrowser(out) {
		var withBoth []System
		for _, s := range all {
			if s.Family == "browser" || hasSystem(out, s.Name) {
				withBoth = append(withBoth, s)
			}
		}
		out = withBoth
	}
	return out, nil
}
