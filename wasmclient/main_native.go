//go:build !(js && wasm)

package main

import (
	"fmt"
	"os"
)

// Natively only the op decoder (opdecode.go) builds, for FuzzDecodeOp;
// client.wasm is built with GOOS=js GOARCH=wasm (make wasm).
func main() {
	fmt.Fprintln(os.Stderr, "wasmclient is client.wasm: build it with GOOS=js GOARCH=wasm (make wasm)")
	os.Exit(2)
}
