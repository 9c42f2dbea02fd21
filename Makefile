# ipcbus: `make run` builds and starts the hub with its demo; `make test`
# installs what is missing and runs every test, browser tests included;
# `make install` puts the ipcbus binary on your PATH.

GO      ?= go
BIN     := bin
WEBOUT  := $(BIN)/web
NPMSTAGE := $(BIN)/npm/ipcbus
NPMVERSION = $(shell node -p "require('./web/package.json').version")
CHROMIUM := /usr/lib/chromium/chromium
WASM_PKGS := ./shared/... ./wasmclient/...
FUZZTIME ?= 200000x
# The version stamped into the binary (`ipcbus version`); without git the
# binary reports the module version the go command recorded.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null)
GOFLAGS_BIN := -trimpath -ldflags "-X main.version=$(VERSION)"
# install: into $(PREFIX)/bin when PREFIX is set, else where `go install`
# puts binaries ($GOBIN, else the first $GOPATH's bin).
PREFIX ?=
GOPATH1 := $(firstword $(subst :, ,$(shell $(GO) env GOPATH)))
BINDIR ?= $(if $(PREFIX),$(PREFIX)/bin,$(or $(shell $(GO) env GOBIN),$(GOPATH1)/bin))

.PHONY: all build install web web-deps npm node-test run test vet fmt-check unit fuzz fuzz-long browser-deps browser-test bench bench-smoke soak clean

all: build web

## build: the ipcbus binary, static (no cgo) and stamped with its version
build:
	@echo "building $(BIN)/ipcbus $(VERSION) (static)"
	@CGO_ENABLED=0 $(GO) build $(GOFLAGS_BIN) -o $(BIN)/ipcbus ./cmd/ipcbus

## install: the same binary into $(BINDIR)
install:
	@echo "installing ipcbus $(VERSION) into $(BINDIR)"
	@mkdir -p $(BINDIR)
	@CGO_ENABLED=0 $(GO) build $(GOFLAGS_BIN) -o $(BINDIR)/ipcbus ./cmd/ipcbus
	@case ":$$PATH:" in *":$(BINDIR):"*) ;; *) echo "note: $(BINDIR) is not on your PATH";; esac

## web: client.wasm, wasm_exec.js, the JS bundles and the demo, ready to serve
web: web-deps
	@echo "building $(WEBOUT): client.wasm, the JS bundles and the demo"
	@web/build.sh $(WEBOUT)

## web-deps: web/'s devDependencies (esbuild, typescript, ws), from its lockfile
web-deps:
	@if [ ! -d web/node_modules ]; then cd web && npm ci --ignore-scripts --no-audit --no-fund; fi

## npm: the npm package, exactly one $(BIN)/ipcbus-<version>.tgz: client.wasm,
## wasm_exec.js, the bundles, the typings and the ipcbus binary of this machine
## (staged in $(NPMSTAGE))
npm: build web-deps
	rm -rf $(NPMSTAGE) $(BIN)/ipcbus-*.tgz
	mkdir -p $(NPMSTAGE)/bin
	web/build.sh $(NPMSTAGE)/dist
	rm -rf $(NPMSTAGE)/dist/demo
	cp web/package.json web/README.md $(NPMSTAGE)/
	cp $(BIN)/ipcbus $(NPMSTAGE)/bin/ipcbus
	cd $(BIN) && npm pack ./npm/ipcbus --pack-destination . --silent >/dev/null
	@ls $(BIN)/ipcbus-$(NPMVERSION).tgz

## node-test: the typings (tsc), then the node:test suites of web/tests against
## the staged package, a real hub and the Go peer
node-test: npm
	$(GO) build -o $(BIN)/gopeer ./web/tests/gopeer
	cd web && npx tsc -p tsconfig.json
	cd web && IPCBUS_PKG=$(abspath $(NPMSTAGE)) IPCBUS_TGZ=$(abspath $(BIN))/ipcbus-$(NPMVERSION).tgz node --test --test-concurrency=1

## run: the hub on its defaults (Unix socket, TCP 127.0.0.1:50494) with the
## WebSocket listener and demo on 127.0.0.1:50495
run: build web
	@echo "starting $(BIN)/ipcbus serve --ws 127.0.0.1:50495 --web $(WEBOUT)"
	@$(BIN)/ipcbus serve --ws 127.0.0.1:50495 --web $(WEBOUT)

## test: vet both targets, gofmt, every Go test with -race (replaying the
## fuzz corpora; fuzzing anew is `make fuzz`, never part of test), the
## browser tests in headless Chromium, the Node suites, and a smoke run of
## the benchmarks
test: vet fmt-check unit browser-test node-test bench-smoke

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

## FUZZ_TARGETS: every Go fuzz target, as package:Target. `make unit` replays
## their committed corpora (testdata/fuzz) with the other tests; the JS
## codec's fuzz test (web/tests/codec.fuzz.test.js, corpus in
## web/tests/testdata/fuzz-codec) runs a fixed mutation set in node-test.
FUZZ_TARGETS := \
	./shared/wire:FuzzDecode \
	./shared/wire:FuzzCheckValue \
	./shared/wire:FuzzControl \
	./shared/stream:FuzzReadFrame \
	./shared/bus:FuzzPayload \
	./wasmclient:FuzzDecodeOp \
	./nativeclient:FuzzParseAddr \
	./hub:FuzzWSUpgrade \
	./cmd/ipcbus:FuzzParseJSON
FUZZ_LONG ?= 5m

## fuzz: a short run of each fuzz target, bounded by executions (a time
## bound can fail spuriously when it ends mid-minimization)
fuzz:
	@for t in $(FUZZ_TARGETS); do \
		echo "fuzz $$t"; \
		$(GO) test -run '^$$' -fuzz "^$${t##*:}$$" -fuzztime $(FUZZTIME) "$${t%%:*}" || exit 1; \
	done

## fuzz-long: each fuzz target for FUZZ_LONG (5 minutes) in turn
fuzz-long:
	@for t in $(FUZZ_TARGETS); do \
		echo "fuzz $$t for $(FUZZ_LONG)"; \
		$(GO) test -run '^$$' -fuzz "^$${t##*:}$$" -fuzztime $(FUZZ_LONG) "$${t%%:*}" || exit 1; \
	done
	@echo "fuzz the JS codec (web/tests/codec.fuzz.test.js) for $(FUZZ_LONG)"
	cd web && IPCBUS_FUZZ_TIME=$(FUZZ_LONG) node --test tests/codec.fuzz.test.js

## browser-deps: Debian's Chromium, installed when missing (needs root, as CI is)
browser-deps:
	@if [ ! -x $(CHROMIUM) ]; then \
		echo "installing chromium (apt-get)"; \
		apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; \
	fi

browser-test: browser-deps web-deps
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
