# Entry points a person types. Everything a step needs, it installs itself.
#
#   make demo    build the host and the examples, then walk through them
#   make test    the whole test suite
#   make build   the host binary (target/release/connector-host)
#   make install put connector-host on the PATH: cargo install into ~/.cargo/bin
#                (or $CARGO_INSTALL_ROOT/bin), as projects made by `new` expect
#   make guests  the example and test connectors: Rust (wasm32-wasip2), Python, JavaScript
#   make lint    formatting and clippy
#   make crash-test  the SIGKILL crash test of trigger delivery, longer than in make test
#   make bench   the benchmark suite: writes BENCHMARKS.md and target/bench/*.json

CARGO ?= cargo
WASM_TARGET := wasm32-wasip2
WASM_DIR := target/$(WASM_TARGET)/release
HOST_BIN := target/release/connector-host
# The host's crates (host/*): their unit tests and the integration tests run in make test.
HOST_CRATES := connector-runtime connector-metrics connector-triggers connector-conformance connector-registry connector-server connector-workflows connector-flows connector-import connector-nats connector-postgres connector-host
HOST_PKGS := $(addprefix -p ,$(HOST_CRATES))
RUST_GUESTS := example-files example-data example-tasks example-openapi test-hostile test-malformed test-describe-panic test-source test-nats-push

# Tests share one compiled-component cache, so each guest is compiled once per run.
export CONNECTOR_HOST_TEST_CACHE ?= $(CURDIR)/target/component-cache

# Python and JavaScript connectors (guest-examples/python, guest-examples/js).
# Their toolchains are installed here, by make, into the work tree: a Python
# virtual environment with componentize-py, and tools/js/node_modules with
# componentize-js (versions pinned in tools/js/package-lock.json). Each is
# installed once; the stamp files name the versions, so a version bump
# reinstalls. The components land beside the Rust ones, so tests find all
# guests in one place.
VENV := .venv
COMPONENTIZE_PY_VERSION := 0.25.1
PY_TOOLS := $(VENV)/.componentize-py-$(COMPONENTIZE_PY_VERSION)
COMPONENTIZE_PY := $(VENV)/bin/componentize-py
JS_TOOLS := tools/js/node_modules/.installed
COMPONENTIZE_JS := tools/js/node_modules/.bin/componentize-js
POLYGLOT_WASM := $(WASM_DIR)/example_calendar.wasm $(WASM_DIR)/example_text.wasm
# Every guest component `make test` compiles into the shared cache up front.
ALL_WASM := $(foreach g,$(RUST_GUESTS),$(WASM_DIR)/$(subst -,_,$(g)).wasm) $(POLYGLOT_WASM)

.PHONY: all setup build install guests rust-guests polyglot-guests py-tools js-tools test demo lint bench bench-peer fuzz crash-test clean

all: build guests

# The wasm32-wasip2 target for the Rust guests (its linker makes components).
setup:
	@if ! rustc --print sysroot >/dev/null 2>&1; then echo "Rust is not installed (https://rustup.rs)"; exit 1; fi
	@if rustup target list --installed 2>/dev/null | grep -qx $(WASM_TARGET); then :; \
	 else echo "installing the $(WASM_TARGET) target"; rustup target add $(WASM_TARGET); fi

build:
	$(CARGO) build --release -p connector-host

# `cargo install` puts the binary in $(CARGO_INSTALL_ROOT)/bin, by default
# ~/.cargo/bin (on the PATH after a rustup install). Projects made by
# `connector-host new` call it by name in their Makefile. It shares the
# workspace's target directory, so an earlier `make build` is reused.
install:
	$(CARGO) install --path host/cli --locked --target-dir target
	@echo "installed connector-host in $${CARGO_INSTALL_ROOT:-$${CARGO_HOME:-$$HOME/.cargo}}/bin"

guests: rust-guests polyglot-guests

rust-guests: setup
	$(CARGO) build --release --target $(WASM_TARGET) $(addprefix -p ,$(RUST_GUESTS))

polyglot-guests: $(POLYGLOT_WASM)

py-tools: $(PY_TOOLS)
js-tools: $(JS_TOOLS)

$(PY_TOOLS):
	@command -v python3 >/dev/null || { echo "python3 is needed for the Python connectors"; exit 1; }
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check componentize-py==$(COMPONENTIZE_PY_VERSION)
	touch $@

$(JS_TOOLS): tools/js/package.json tools/js/package-lock.json
	@command -v npm >/dev/null || { echo "node and npm are needed for the JavaScript connectors"; exit 1; }
	cd tools/js && npm ci --no-audit --no-fund --loglevel=error
	touch $@

# A Python connector: its module (app.py) and the helper modules on the path.
# It calls an HTTP API (connector_http), so it targets the world
# `connector-http` of guest-sdk/wit-http: the contract plus wasi:http.
$(WASM_DIR)/example_calendar.wasm: guest-examples/python/calendar/app.py guest-sdk/python/connector_sdk.py guest-sdk/python/connector_http.py wit/provider.wit guest-sdk/wit-http/world.wit | $(PY_TOOLS)
	@mkdir -p $(WASM_DIR)
	$(COMPONENTIZE_PY) -d guest-sdk/wit-http -w connector-http componentize -p guest-examples/python/calendar -p guest-sdk/python app -o $@

# A JavaScript connector. It reads texts over HTTP with the engine's `fetch`,
# so only `-d fetch-event` (incoming requests, which a connector does not
# serve) is left out: the component imports wasi:http/{types,outgoing-handler}
# besides WASI and the contract. A connector that makes no HTTP calls adds
# `-d http`, so that it imports no wasi:http (see the templates of `new`).
$(WASM_DIR)/example_text.wasm: guest-examples/js/text/connector.js guest-sdk/js/connector-sdk.js wit/provider.wit | $(JS_TOOLS)
	@mkdir -p $(WASM_DIR)
	$(COMPONENTIZE_JS) guest-examples/js/text/connector.js --wit wit --world-name connector -d fetch-event -o $@

# nextest (when installed) runs each test in its own process under a time
# bound (.config/nextest.toml); plain cargo test otherwise. The compiled-
# component cache is warmed first, so parallel tests do not all compile the
# same guest at once.
test: guests
	@sh scripts/test-services.sh
	@sh scripts/install-chromium.sh
	$(CARGO) build --release -p connector-host
	@for w in $(ALL_WASM); do \
	  CONNECTOR_HOST_CACHE_DIR=$(CONNECTOR_HOST_TEST_CACHE) $(HOST_BIN) validate $$w >/dev/null || true; done
	@if $(CARGO) nextest --version >/dev/null 2>&1; then \
	  $(CARGO) nextest run --release $(HOST_PKGS) --no-tests=fail && \
	  $(CARGO) test --release $(HOST_PKGS) --doc; \
	else $(CARGO) test --release $(HOST_PKGS); fi

demo: guests build
	bash scripts/demo.sh

# Benchmarks share the release profile with the tests, so nothing is rebuilt.
# `bench` runs the isolation benchmark, then the suite of BENCHMARKS.md
# (bench/suite), which rewrites that file's results table. Figure 7 needs the
# Extism peer (bench-peer: a second wasmtime, ~5 minutes the first time);
# if it cannot be built the suite says so and goes on.
bench: guests
	$(CARGO) build --release --target $(WASM_TARGET) -p test-bench
	$(CARGO) build --release -p connector-bench -p bench-transform
	-$(MAKE) bench-peer
	$(CARGO) bench --profile release -p connector-host --bench isolation
	$(CARGO) run --release -p connector-workflows --example expr_bench
	$(CARGO) run --release -p connector-workflows --example engine_bench
	target/release/connector-bench

# The peer host of figure 7: Extism, in a workspace of its own
# (bench/extism-peer), with its plugin built for wasm32-unknown-unknown.
bench-peer:
	@if rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then :; \
	 else echo "installing the wasm32-unknown-unknown target"; rustup target add wasm32-unknown-unknown; fi
	cd bench/extism-peer && $(CARGO) build --profile release --target-dir ../../target -p extism-peer
	cd bench/extism-peer && $(CARGO) build --profile release --target-dir ../../target \
	  --target wasm32-unknown-unknown -p extism-bench-plugin

# A longer fuzz run than the suite's bounded one (see host/cli/tests/all/fuzz.rs).
FUZZ_SECS ?= 300
fuzz: guests
	CONNECTOR_HOST_FUZZ_SECS=$(FUZZ_SECS) CONNECTOR_HOST_FUZZ_ITERS=1000000 \
	  $(CARGO) test --release -p connector-host --test all fuzz -- --nocapture

crash-test: guests build
	bash scripts/crash-test.sh

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --release $(HOST_PKGS) --all-targets -- -D warnings

clean:
	$(CARGO) clean
