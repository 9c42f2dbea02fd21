//go:build !js

package bus_test

import (
	"os"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	if path := os.Getenv(hubProcEnv); path != "" {
		os.Exit(runHubProcess(path)) // a hub process of a test (hubproc_test.go)
	}
	if addr := os.Getenv(clientProcEnv); addr != "" {
		os.Exit(runClientProcess(addr, os.Getenv(clientNameEnv))) // a client process (clientproc_test.go)
	}
	goleak.VerifyTestMain(m)
}
