package nativeclient

import (
	"testing"
)

func TestParseAddr(t *testing.T) {
	t.Setenv(EnvAddr, "")
	cases := map[string]Addr{
		"unix:/run/x.sock":       {"unix", "/run/x.sock"},
		"/run/x.sock":            {"unix", "/run/x.sock"},
		"x.sock":                 {"unix", "x.sock"},
		"tcp:127.0.0.1:50494":    {"tcp", "127.0.0.1:50494"},
		"tcp:50494":              {"tcp", "127.0.0.1:50494"},
		"tcp::50494":             {"tcp", "127.0.0.1:50494"},
		"50494":                  {"tcp", "127.0.0.1:50494"},
		"localhost:50494":        {"tcp", "localhost:50494"},
		"ws://127.0.0.1:1/ws?t=": {"ws", "ws://127.0.0.1:1/ws?t="},
		"":                       {"unix", DefaultUnixPath()},
	}
	for in, want := range cases {
		got, err := ParseAddr(in)
		if err != nil || got != want {
			t.Errorf("ParseAddr(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"unix:", "tcp:host", "tcp:host:port"} {
		if _, err := ParseAddr(bad); err == nil {
			t.Errorf("ParseAddr(%q) accepted", bad)
		}
	}
	t.Setenv(EnvAddr, "tcp:127.0.0.1:7")
	if got, _ := ParseAddr(""); got != (Addr{"tcp", "127.0.0.1:7"}) {
		t.Errorf("the environment's address was not used: %v", got)
	}
}
