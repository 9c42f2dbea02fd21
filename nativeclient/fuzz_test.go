package nativeclient

import (
	"testing"
)

// FuzzParseAddr checks that no address makes ParseAddr panic, that what it
// accepts is one of the three networks, and that an accepted address
// prints (String, which leaves the token out) as one that parses to the
// same place.
func FuzzParseAddr(f *testing.F) {
	for _, s := range []string{
		"unix:/run/x.sock", "/run/x.sock", "x.sock", "tcp:127.0.0.1:50494", "tcp::50494", "50494",
		"localhost:50494", "tcp:127.0.0.1:50494?token=ab12", "50494?token=ab12", "ws://127.0.0.1:1/ws?token=ab12",
		"wss://h:1/ws", "tcp:[::1]:1", "unix:", "tcp:host", "?token=", "a?b/c", "ws://%zz",
		"htp://foo", "http://127.0.0.1:1/ws", "udp:127.0.0.1:1", "tcp:a:b:1", "[::1]:1", "./dir://x",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if s == "" {
			return // the environment's address or the default socket
		}
		a, err := ParseAddr(s)
		if err != nil {
			return
		}
		switch a.Network {
		case "unix", "tcp", "ws":
		default:
			t.Fatalf("ParseAddr(%q): network %q", s, a.Network)
		}
		if a.Network == "unix" && a.Token != "" {
			t.Fatalf("ParseAddr(%q): a Unix address with a token", s)
		}
		if a.Network == "ws" {
			return // String re-encodes the URL's query
		}
		b, err := ParseAddr(a.String())
		if err != nil || b.Network != a.Network || b.Address != a.Address {
			t.Fatalf("ParseAddr(%q) = %+v prints as %q, which parses to %+v, %v", s, a, a.String(), b, err)
		}
	})
}
