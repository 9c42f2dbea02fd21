package nativeclient

import (
	"strings"
	"testing"
)

func TestParseAddr(t *testing.T) {
	t.Setenv(EnvAddr, "")
	cases := map[string]Addr{
		"unix:/run/x.sock":                 {"unix", "/run/x.sock", ""},
		"/run/x.sock":                      {"unix", "/run/x.sock", ""},
		"x.sock":                           {"unix", "x.sock", ""},
		"tcp:127.0.0.1:50494":              {"tcp", "127.0.0.1:50494", ""},
		"tcp:50494":                        {"tcp", "127.0.0.1:50494", ""},
		"tcp::50494":                       {"tcp", "127.0.0.1:50494", ""},
		"50494":                            {"tcp", "127.0.0.1:50494", ""},
		"localhost:50494":                  {"tcp", "localhost:50494", ""},
		"tcp:127.0.0.1:50494?token=ab12":   {"tcp", "127.0.0.1:50494", "ab12"},
		"50494?token=ab12":                 {"tcp", "127.0.0.1:50494", "ab12"},
		"ws://127.0.0.1:1/ws?t=":           {"ws", "ws://127.0.0.1:1/ws?t=", ""},
		"ws://127.0.0.1:1/ws?token=ab12":   {"ws", "ws://127.0.0.1:1/ws?token=ab12", "ab12"},
		"":                                 {"unix", DefaultUnixPath(), ""},
		"tcp:127.0.0.1:50494?token=a%2Bb=": {"tcp", "127.0.0.1:50494", "a+b="},
	}
	for in, want := range cases {
		got, err := ParseAddr(in)
		if err != nil || got != want {
			t.Errorf("ParseAddr(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"unix:", "tcp:host", "tcp:host:port", "tcp:127.0.0.1:1?tok=x", "tcp:127.0.0.1:1?token=x&more=y", "ws://",
		"htp://foo", "http://127.0.0.1:1/ws", "udp:127.0.0.1:1", "tcp:a:b:1", "localhost:x"} {
		if _, err := ParseAddr(bad); err == nil {
			t.Errorf("ParseAddr(%q) accepted", bad)
		}
	}
	t.Setenv(EnvAddr, "tcp:127.0.0.1:7?token=t")
	if got, _ := ParseAddr(""); got != (Addr{"tcp", "127.0.0.1:7", "t"}) {
		t.Errorf("the environment's address was not used: %v", got)
	}
}

// TestAddrStringLeavesTheTokenOut: addresses appear in error messages.
func TestAddrStringLeavesTheTokenOut(t *testing.T) {
	for _, in := range []string{"tcp:127.0.0.1:50494?token=secret", "ws://127.0.0.1:1/ws?token=secret"} {
		a, err := ParseAddr(in)
		if err != nil {
			t.Fatal(err)
		}
		if s := a.String(); s == "" || strings.Contains(s, "secret") {
			t.Errorf("%q prints as %q", in, s)
		}
	}
}

// TestParseAddrRefusesOtherSchemes: a mistyped scheme is named, not taken
// for a relative Unix path.
func TestParseAddrRefusesOtherSchemes(t *testing.T) {
	cases := map[string]string{
		"htp://foo":             `ipcbus: address "htp://foo": unknown scheme "htp" (want unix:PATH, tcp:HOST:PORT, ws:// or wss://)`,
		"http://127.0.0.1:1/ws": `ipcbus: address "http://127.0.0.1:1/ws": unknown scheme "http" (want unix:PATH, tcp:HOST:PORT, ws:// or wss://; the hub's WebSocket is ws://HOST:PORT/ws)`,
		"udp:127.0.0.1:1":       `ipcbus: address "udp:127.0.0.1:1": want host:port (or unix:PATH, ws://)`,
	}
	for in, want := range cases {
		if _, err := ParseAddr(in); err == nil || err.Error() != want {
			t.Errorf("ParseAddr(%q): %v\nwant %s", in, err, want)
		}
	}
	if a, err := ParseAddr("./dir://x"); err != nil || a.Network != "unix" {
		t.Errorf("a path with :// in it: %v, %v", a, err)
	}
}
