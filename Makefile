# ipcbus: `make run` builds and starts the hub with its demo; `make test`
# installs what is missing and runs every test, browser tests included.

GO      ?= go
BIN     := bin
WEBOUT  := $(BIN)/web
CHROMIUM := /usr/lib/chromium/chromium
WASM_PKGS := ./shared/... ./wasmclient/...
FUZZTIME ?= 200000x

.PHONY: all build web run test vet fmt-check unit fuzz browser-deps browser-test bench bench-smoke soak clean

all: build web

## build: the ipcbus binary
build:
	$(GO) build -o $(BIN)/ipcbus ./cmd/ipcbus

## web: client.wasm, wasm_exec.js, the JS API and the demo, ready to serve
web:
	web/build.sh $(WEBOUT)

## run: the hub on its defaults (Unix socket, TCP 127.0.0.1:50494) with the
## WebSocket listener and demo on 127.0.0.1:50495
run: build web
	$(BIN)/ipcbus serve --ws 127.0.0.1:50495 --web $(WEBOUT)

## test: vet both targets, gofmt, every Go test with -race, a short fuzz run,
## the browser tests in headless Chromium, and a smoke run of the benchmarks
test: vet fmt-check unit fuzz browser-test bench-smoke

## soak: not part of test. A hub process restarted every SOAK_RESTART_EVERY
## (SIGTERM and SIGKILL in turn) under clients at half the measured request
## capacity for SOAK_DURATION; prints RSS and goroutines of hub and clients
SOAK_DURATION ?= 10m
SOAK_RESTART_EVERY ?= 1m
soak:
	SOAK_DURATION=$(SOAK_DURATION) SOAK_RESTART_EVERY=$(SOAK_RESTART_EVERY) \
		$(GO) test -tags soak -count=1 -timeout 0 -run '^TestSoak$$' -v ./shared/bus

vet:
	$(GO) vet ./...
	$(GO) vet -tags soak ./shared/bus
	GOOS=js GOARCH=wasm $(GO) vet $(WASM_PKGS)
	cd browsertests && $(GO) vet ./...
	cd bench && $(GO) vet ./...

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

unit:
	$(GO) test -race -count=1 ./...

## fuzz: a short run of the frame decoder's fuzz test, bounded by executions
## (a time bound can fail spuriously when it ends mid-minimization)
fuzz:
	$(GO) test -run '^$$' -fuzz FuzzDecode -fuzztime $(FUZZTIME) ./shared/wire

## browser-deps: Debian's Chromium, installed when missing (needs root, as CI is)
browser-deps:
	@if [ ! -x $(CHROMIUM) ]; then \
		echo "installing chromium (apt-get)"; \
		apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; \
	fi

browser-test: browser-deps
	cd browsertests && $(GO) test -race -count=1 ./...

## bench: ipcbus beside electron-common-ipc, NATS and raw sockets (about
## 4 minutes; rewrites bench/results and docs/performance.md). Needs npm.
bench: browser-deps
	cd bench && $(GO) run ./cmd/bench

## bench-smoke: every system and scenario once, tiny (about 30 s); the
## browser rows need Chromium
bench-smoke: browser-deps
	cd bench && $(GO) run ./cmd/bench -smoke

clean:
	rm -rf $(BIN)
