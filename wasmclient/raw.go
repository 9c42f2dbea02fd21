//go:build js && wasm

package main

import (
	"bytes"
	"errors"
	"syscall/js"

	"github.com/vmihailenco/msgpack/v5"
)

var errBadArgs = errors.New("ipcbus: engine: a value must be one msgpack value in a Uint8Array")

// rawOf checks that v is a Uint8Array holding exactly one msgpack value
// and returns it to be written as it is: the hub forwards payload bytes
// untouched, so a malformed one would reach every receiver.
func rawOf(v js.Value) (msgpack.RawMessage, error) {
	b := bytesOf(v)
	if len(b) == 0 {
		return nil, errBadArgs
	}
	r := bytes.NewReader(b)
	dec := msgpack.NewDecoder(r)
	if err := dec.Skip(); err != nil || r.Len() != 0 {
		return nil, errBadArgs
	}
	return msgpack.RawMessage(b), nil
}
