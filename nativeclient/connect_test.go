package nativeclient_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/ipcbus/ipcbus/nativeclient"
	"github.com/ipcbus/ipcbus/shared/bus"
)

// TestDialTimeoutNamesTheAddress: Dial to something that accepts and never
// answers says which address and how long, and is bus.ErrTimeout; a
// WebSocket URL is named without its token.
func TestDialTimeoutNamesTheAddress(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			nc, err := l.Accept()
			if err != nil {
				return
			}
			defer nc.Close()
		}
	}()
	opts := &bus.Options{ConnectTimeout: 100 * time.Millisecond}
	addr := "tcp:" + l.Addr().String()
	_, err = nativeclient.Dial(context.Background(), addr, opts)
	if want := "ipcbus: connect to " + addr + ": timed out after 100ms"; err == nil || err.Error() != want {
		t.Fatalf("err %v, want %s", err, want)
	}
	if !errors.Is(err, bus.ErrTimeout) {
		t.Fatalf("%v is not bus.ErrTimeout", err)
	}
	ws := "ws://" + l.Addr().String() + "/ws?token=secret"
	_, err = nativeclient.Dial(context.Background(), ws, opts)
	if err == nil || !strings.Contains(err.Error(), "connect to ws://"+l.Addr().String()+"/ws:") || strings.Contains(err.Error(), "secret") {
		t.Fatalf("ws err %v: want the URL named without its token", err)
	}
}

// TestDialNotAHub: a server that answers hello with other bytes (an HTTP
// error here) fails the dial at once with bus.ErrNotAHub, not a timeout.
func TestDialNotAHub(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	done := make(chan struct{})
	defer func() { <-done }()
	go func() {
		defer close(done)
		nc, err := l.Accept()
		if err != nil {
			return
		}
		defer nc.Close()
		nc.Write([]byte("HTTP/1.1 400 Bad Request\r\n\r\n"))
		nc.SetReadDeadline(time.Now().Add(5 * time.Second))
		buf := make([]byte, 512)
		for {
			if _, err := nc.Read(buf); err != nil {
				return
			}
		}
	}()
	opts := &bus.Options{ConnectTimeout: time.Minute}
	_, err = nativeclient.Dial(context.Background(), "tcp:"+l.Addr().String()+"?token=t", opts)
	if !errors.Is(err, bus.ErrNotAHub) || errors.Is(err, bus.ErrTimeout) {
		t.Fatalf("err %v, want bus.ErrNotAHub", err)
	}
	if want := "ipcbus: connect: ipcbus: not an ipcbus hub: its first bytes are no frame of ours"; err.Error() != want {
		t.Fatalf("err %q, want %q", err, want)
	}
}
