package procs

import (
	"errors"
	"time"

	"github.com/ipcbus/ipcbus/bench/internal/proto"
	"github.com/nats-io/nats-server/v2/server"
)

// NATS runs an embedded nats-server on a random loopback port. Its payload
// limit is raised to 8 MiB so that 1 MiB payloads pass (the default is 1 MiB
// including nothing else).
func NATS([]string) error {
	s, err := server.NewServer(&server.Options{
		Host:       "127.0.0.1",
		Port:       server.RANDOM_PORT,
		NoLog:      true,
		NoSigs:     true,
		MaxPayload: 8 << 20,
		MaxConn:    100000,
	})
	if err != nil {
		return err
	}
	s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		return errors.New("nats: server not ready")
	}
	hello(proto.Reply{Addr: s.ClientURL()})
	untilStdinCloses()
	s.Shutdown()
	s.WaitForShutdown()
	return nil
}
