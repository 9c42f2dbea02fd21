package nativeclient

import "testing"

// TestTokenOfTheEnvironmentsAddress: a child process given the port alone
// presents the token of $IPCBUS_ADDR when that names the same listener,
// and only then.
func TestTokenOfTheEnvironmentsAddress(t *testing.T) {
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir()) // no default token file
	t.Setenv(EnvToken, "")
	t.Setenv(EnvAddr, "tcp:127.0.0.1:7001?token=inherited")
	cases := map[string]string{
		"7001":                     "inherited",
		"tcp:127.0.0.1:7001":       "inherited",
		"127.0.0.1:7001?token=own": "own",
		"7002":                     "",
		"ws://127.0.0.1:7001/ws":   "", // another listener
		"unix:/run/x.sock":         "",
		"tcp:localhost:7001":       "", // named otherwise: not sent
	}
	for in, want := range cases {
		a, err := ParseAddr(in)
		if err != nil {
			t.Fatal(err)
		}
		if got := a.token(); got != want {
			t.Errorf("token for %q = %q, want %q", in, got, want)
		}
	}
	t.Setenv(EnvToken, "blanket")
	if a, _ := ParseAddr("7002"); a.token() != "blanket" {
		t.Errorf("$%s was not used for a listener $%s does not name", EnvToken, EnvAddr)
	}
	if a, _ := ParseAddr("7001"); a.token() != "inherited" {
		t.Errorf("$%s's own listener did not get its token", EnvAddr)
	}
}
