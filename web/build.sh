#!/bin/sh
# build.sh OUTDIR: builds what the hub serves to renderers into OUTDIR:
#   client.wasm                  the engine (GOOS=js GOARCH=wasm)
#   wasm_exec.js                 Go's loader, copied from GOROOT
#   ipcbus-codec.js, ipcbus-client.js, ipcbus-service.js, ipcbus-preload.js, ipcbus.d.ts
#   ipcbus-preload.bundle.js     wasm_exec.js and the four scripts in one, for a preload
#   demo/                        the demo page
# Run from anywhere; needs go on PATH.
set -eu
out=${1:?usage: build.sh OUTDIR}
web=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$web")
mkdir -p "$out/demo"
(cd "$root" && GOOS=js GOARCH=wasm go build -trimpath -ldflags="-s -w" -o "$out/client.wasm" ./wasmclient)
cp "$(go env GOROOT)/lib/wasm/wasm_exec.js" "$out/wasm_exec.js"
for f in ipcbus-codec.js ipcbus-client.js ipcbus-service.js ipcbus-preload.js ipcbus.d.ts; do
	cp "$web/$f" "$out/$f"
done
cat "$out/wasm_exec.js" "$web/ipcbus-codec.js" "$web/ipcbus-client.js" "$web/ipcbus-service.js" "$web/ipcbus-preload.js" >"$out/ipcbus-preload.bundle.js"
cp "$web"/demo/* "$out/demo/"
