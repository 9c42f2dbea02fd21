//go:build js && wasm

package main

import (
	"github.com/ipcbus/ipcbus/shared/wire"
)

// checkValue checks that b (a Uint8Array's bytes) holds exactly one
// msgpack value and returns it to be written as it is: the hub forwards
// payload bytes untouched, so a malformed one would reach every receiver.
func checkValue(b []byte) ([]byte, error) {
	if n, err := wire.ValueLen(b); err != nil || n != len(b) {
		return nil, errBadArgs
	}
	return b, nil
}
