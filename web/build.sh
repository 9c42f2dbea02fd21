#!/bin/sh
# build.sh OUTDIR: builds what the hub serves to renderers, and what the npm
# package ships, into OUTDIR:
#   client.wasm                  the engine (GOOS=js GOARCH=wasm)
#   wasm_exec.js                 Go's loader, copied from the same GOROOT
#   ipcbus-preload.bundle.js     the preload (build.mjs: esbuild bundles src/)
#   ipcbus-page.bundle.js        what a page or a frame loads (no wasm)
#   node.cjs, node.mjs           the Node entry; browser.mjs the renderer entry
#   ipcbus.d.ts                  the typings
#   demo/                        the demo page
# Run from anywhere; needs go and node (npm ci installs esbuild when
# web/node_modules is missing).
set -eu
out=${1:?usage: build.sh OUTDIR}
web=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$web")
mkdir -p "$out/demo"
out=$(cd "$out" && pwd)
(cd "$root" && GOOS=js GOARCH=wasm go build -trimpath -ldflags="-s -w -buildid=" -o "$out/client.wasm" ./wasmclient)
cp "$(go env GOROOT)/lib/wasm/wasm_exec.js" "$out/wasm_exec.js"
if [ ! -x "$web/node_modules/.bin/esbuild" ]; then
	(cd "$web" && npm ci --ignore-scripts --no-audit --no-fund)
fi
node "$web/build.mjs" "$out"
cp "$web"/demo/* "$out/demo/"
