# Entry points a person types. Everything a step needs, it installs itself.
#
#   make demo    build the host and the examples, then walk through them
#   make test    the whole test suite
#   make build   the host binary (target/release/connector-host)
#   make guests  the Rust example and test connectors (wasm32-wasip2)
#   make lint    formatting and clippy
#   make crash-test  the SIGKILL crash test of trigger delivery, longer than in make test

CARGO ?= cargo
WASM_TARGET := wasm32-wasip2
WASM_DIR := target/$(WASM_TARGET)/release
HOST_BIN := target/release/connector-host
RUST_GUESTS := example-files example-data example-tasks test-hostile test-malformed test-describe-panic test-source

# Tests share one compiled-component cache, so each guest is compiled once per run.
export CONNECTOR_HOST_TEST_CACHE ?= $(CURDIR)/target/component-cache

.PHONY: all setup build guests test demo lint bench fuzz crash-test clean

all: build guests

# The wasm32-wasip2 target for the Rust guests (its linker makes components).
setup:
	@if ! rustc --print sysroot >/dev/null 2>&1; then echo "Rust is not installed (https://rustup.rs)"; exit 1; fi
	@if rustup target list --installed 2>/dev/null | grep -qx $(WASM_TARGET); then :; \
	 else echo "installing the $(WASM_TARGET) target"; rustup target add $(WASM_TARGET); fi

build:
	$(CARGO) build --release -p connector-host

guests: setup
	$(CARGO) build --release --target $(WASM_TARGET) $(addprefix -p ,$(RUST_GUESTS))

# nextest (when installed) runs each test in its own process under a time
# bound (.config/nextest.toml); plain cargo test otherwise. The compiled-
# component cache is warmed first, so parallel tests do not all compile the
# same guest at once.
test: guests
	$(CARGO) build --release -p connector-host
	@for g in $(RUST_GUESTS); do \
	  CONNECTOR_HOST_CACHE_DIR=$(CONNECTOR_HOST_TEST_CACHE) $(HOST_BIN) validate $(WASM_DIR)/$$(echo $$g | tr - _).wasm >/dev/null || true; done
	@if $(CARGO) nextest --version >/dev/null 2>&1; then \
	  $(CARGO) nextest run --release -p connector-host --no-tests=fail && \
	  $(CARGO) test --release -p connector-host --doc; \
	else $(CARGO) test --release -p connector-host; fi

demo: guests build
	bash scripts/demo.sh

# Benchmarks share the release profile with the tests, so nothing is rebuilt.
bench: guests
	$(CARGO) bench --profile release -p connector-host --bench isolation

# A longer fuzz run than the suite's bounded one (see host/tests/all/fuzz.rs).
FUZZ_SECS ?= 300
fuzz: guests
	CONNECTOR_HOST_FUZZ_SECS=$(FUZZ_SECS) CONNECTOR_HOST_FUZZ_ITERS=1000000 \
	  $(CARGO) test --release -p connector-host --test all fuzz -- --nocapture

crash-test: guests build
	bash scripts/crash-test.sh

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --release -p connector-host --all-targets -- -D warnings

clean:
	$(CARGO) clean
