//go:build js && wasm

package main

import (
	"errors"
	"syscall/js"

	"github.com/ipcbus/ipcbus/shared/wire"
)

var errBadArgs = errors.New("ipcbus: engine: a value must be one msgpack value in a Uint8Array")

// rawOf checks that v is a Uint8Array holding exactly one msgpack value
// and returns it to be written as it is: the hub forwards payload bytes
// untouched, so a malformed one would reach every receiver.
func rawOf(v js.Value) ([]byte, error) {
	b := bytesOf(v)
	if n, err := wire.ValueLen(b); err != nil || n != len(b) {
		return nil, errBadArgs
	}
	return b, nil
}
