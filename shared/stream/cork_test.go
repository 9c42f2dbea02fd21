//go:build !js

package stream

import (
	"bytes"
	"net"
	"testing"
)

// writeLog is a net.Conn that records each Write.
type writeLog struct {
	net.Conn
	writes [][]byte
}

func (w *writeLog) Write(p []byte) (int, error) {
	w.writes = append(w.writes, append([]byte(nil), p...))
	return len(p), nil
}

// TestCorkGathers: writes between Cork and Uncork go out as one write,
// in order; writes outside go straight through; a batch over corkMax is
// written in pieces that keep the order.
func TestCorkGathers(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	log := &writeLog{Conn: a}
	c := NewCorkConn(log)
	c.Write([]byte("before"))
	c.Cork(0)
	c.Write([]byte("one,"))
	c.Write([]byte("two"))
	if len(log.writes) != 1 {
		t.Fatalf("corked writes went through: %q", log.writes)
	}
	if err := c.Uncork(); err != nil {
		t.Fatal(err)
	}
	c.Write([]byte("after"))
	want := []string{"before", "one,two", "after"}
	if len(log.writes) != len(want) {
		t.Fatalf("writes %q, want %q", log.writes, want)
	}
	for i := range want {
		if string(log.writes[i]) != want[i] {
			t.Fatalf("writes %q, want %q", log.writes, want)
		}
	}

	log.writes = nil
	c.Cork(0)
	var all []byte
	for i := range 5 {
		p := bytes.Repeat([]byte{byte('a' + i)}, corkMax/3)
		all = append(all, p...)
		c.Write(p)
	}
	big := bytes.Repeat([]byte{'z'}, corkMax)
	all = append(all, big...)
	c.Write(big)
	c.Write([]byte("end"))
	all = append(all, "end"...)
	if err := c.Uncork(); err != nil {
		t.Fatal(err)
	}
	if got := bytes.Join(log.writes, nil); !bytes.Equal(got, all) {
		t.Fatalf("%d bytes written in %d writes, want %d bytes in order", len(got), len(log.writes), len(all))
	}
	if len(log.writes) > 4 {
		t.Fatalf("%d writes for %d bytes: not gathered", len(log.writes), len(all))
	}
}
