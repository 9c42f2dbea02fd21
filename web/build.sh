#!/bin/sh
# build.sh OUTDIR: builds what the hub serves to renderers into OUTDIR:
#   client.wasm                  the engine (GOOS=js GOARCH=wasm)
#   wasm_exec.js                 Go's loader, copied from GOROOT
#   ipcbus-*.js, ipcbus.d.ts     the scripts one by one, and the types
#   ipcbus-preload.bundle.js     the preload: wasm_exec.js, the codec, the
#                                client API, the service API (when there),
#                                the host and the loader in one script
#   ipcbus-page.bundle.js        what a page or a frame loads (no wasm): the
#                                codec, the client API, the service API and
#                                the page shim, in a function scope of its own
#   demo/                        the demo page
# Run from anywhere; needs go on PATH.
set -eu
out=${1:?usage: build.sh OUTDIR}
web=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$web")
mkdir -p "$out/demo"
(cd "$root" && GOOS=js GOARCH=wasm go build -trimpath -ldflags="-s -w" -o "$out/client.wasm" ./wasmclient)
cp "$(go env GOROOT)/lib/wasm/wasm_exec.js" "$out/wasm_exec.js"
# The API shared by the preload and the page, in load order.
api="$web/ipcbus-codec.js $web/ipcbus-client.js"
if [ -f "$web/ipcbus-service.js" ]; then api="$api $web/ipcbus-service.js"; fi
for f in $api "$web/ipcbus-host.js" "$web/ipcbus-preload.js" "$web/ipcbus-page.js" "$web/ipcbus.d.ts"; do
	cp "$f" "$out/"
done
# shellcheck disable=SC2086 # $api is a list of paths without spaces
cat "$out/wasm_exec.js" $api "$web/ipcbus-host.js" "$web/ipcbus-preload.js" >"$out/ipcbus-preload.bundle.js"
# The page bundle runs in a function scope: a page whose world also has the
# preload (contextIsolation off) loads it without redeclaring its names.
{
	echo '(function () {'
	# shellcheck disable=SC2086
	cat $api "$web/ipcbus-page.js"
	echo '})();'
} >"$out/ipcbus-page.bundle.js"
cp "$web"/demo/* "$out/demo/"
