package hub

import (
	"crypto/subtle"
	"fmt"

	"github.com/ipcbus/ipcbus/shared/wire"
	"github.com/vmihailenco/msgpack/v5"
)

func encode(v any) ([]byte, error) { return msgpack.Marshal(v) }

// decodeArgs decodes the small structured args of a request the hub
// answers itself (a spy's filter): at most wire.MaxHubArgsBytes, checked
// by wire.CheckValue first, never a payload in general.
func decodeArgs(b []byte, v any) error {
	if len(b) > wire.MaxHubArgsBytes {
		return fmt.Errorf("args of %d bytes, over %d", len(b), wire.MaxHubArgsBytes)
	}
	if err := wire.CheckValue(b); err != nil {
		return err
	}
	return msgpack.Unmarshal(b, v)
}

func tokenEqual(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// decodeHubAnswer decodes another hub's answer to a federation query
// (federation_query.go) into a typed v: at most a NATS message, its
// nesting checked by wire.CheckNesting first.
func decodeHubAnswer(b []byte, v any) error {
	if err := wire.CheckNesting(b); err != nil {
		return err
	}
	return msgpack.Unmarshal(b, v)
}
