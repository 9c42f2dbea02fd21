package main

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ipcbus/ipcbus/hub"
	"github.com/ipcbus/ipcbus/hub/hubtest"
	"github.com/ipcbus/ipcbus/shared/bus"
)

type greeter struct{}

func (greeter) Greet(name string) string { return "hello " + name }
func (greeter) Add(a, b float64) float64 { return a + b }
func (greeter) Fail() error              { return errors.New("no luck") }

func TestCLICallAndServices(t *testing.T) {
	h := hubtest.Start(t, hub.Config{})
	addr := hubtest.Addr(h)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c := hubtest.Dial(t, h, "greeter-host", nil)
	svc, err := bus.NewService(c, "greeter", greeter{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer svc.Stop(context.Background())
	hubtest.Eventually(t, 5*time.Second, "service available", func() bool { return h.IsServiceAvailable("greeter") })

	if out, code := runCmd(t, "call", "--addr", addr, "greeter", "Greet", `"Ada"`); code != exitOK || strings.TrimSpace(out) != `"hello Ada"` {
		t.Fatalf("call Greet printed %q, exit %d", out, code)
	}
	if out, code := runCmd(t, "call", "--addr", addr, "greeter", "Add", "1.5", "2"); code != exitOK || strings.TrimSpace(out) != "3.5" {
		t.Fatalf("call Add printed %q, exit %d", out, code)
	}
	for _, args := range [][]string{
		{"greeter", "Fail"},                       // the handler's error
		{"greeter", "Nope"},                       // Function unknown !
		{"--timeout", "100ms", "absent", "Greet"}, // never starts
	} {
		if out, code := runCmd(t, append([]string{"call", "--addr", addr}, args...)...); code != exitFailed || out != "" {
			t.Errorf("call %v printed %q, exit %d; want exit %d", args, out, code, exitFailed)
		}
	}
	if _, code := runCmd(t, "call", "--addr", addr, "greeter"); code != exitUsage {
		t.Errorf("call without handler exited %d", code)
	}

	out, code := runCmd(t, "services", "--addr", addr)
	if code != exitOK || !strings.Contains(out, "greeter") || !strings.Contains(out, "Add, Fail, Greet") || !strings.Contains(out, "greeter-host") {
		t.Fatalf("services printed %q, exit %d", out, code)
	}
	out, code = runCmd(t, "services", "--addr", addr, "--json")
	var list []hub.ServiceState
	if err := json.Unmarshal([]byte(out), &list); code != exitOK || err != nil {
		t.Fatalf("services --json printed %q, exit %d, %v", out, code, err)
	}
	if len(list) != 1 || list[0].Name != "greeter" || !reflect.DeepEqual(list[0].CallHandlers, []string{"Add", "Fail", "Greet"}) {
		t.Fatalf("services --json: %+v", list)
	}

	if err := svc.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	hubtest.Eventually(t, 5*time.Second, "service gone", func() bool { return !h.IsServiceAvailable("greeter") })
	if out, code := runCmd(t, "services", "--addr", addr, "--json"); code != exitOK || strings.TrimSpace(out) != "[]" {
		t.Fatalf("services after stop printed %q", out)
	}
}
