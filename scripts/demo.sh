#!/usr/bin/env bash
# The walk-through `make demo` runs: validate, describe, check and invoke on
# the example connectors, and the host containing a misbehaving one.
set -euo pipefail
cd "$(dirname "$0")/.."

HOST=target/release/connector-host
WASM=target/wasm32-wasip2/release
OUT=demo-out
rm -rf "$OUT" && mkdir -p "$OUT/data"

step() { printf '\n\033[1m== %s\033[0m\n$ %s\n' "$1" "${*:2}"; "${@:2}"; }
# A step that is expected to fail: show its exit code and go on.
fails() { printf '\n\033[1m== %s\033[0m\n$ %s\n' "$1" "${*:2}"; set +e; "${@:2}"; local rc=$?; set -e; echo "(exit code $rc)"; }

step "Validate the example connectors" $HOST validate $WASM/example_files.wasm
step "" $HOST validate $WASM/example_data.wasm
fails "Validate a component whose descriptions break the rules: every problem at once" \
  $HOST validate $WASM/test_malformed.wasm
printf 'not a component' > "$OUT/not-a-component.wasm"
fails "Validate a file that is not a component" $HOST validate "$OUT/not-a-component.wasm"

step "Describe the files connector (for a person)" $HOST describe $WASM/example_files.wasm
step "Describe the data connector as JSON (first lines)" bash -c "$HOST describe --json $WASM/example_data.wasm | head -n 25"

step "Check a connection: the granted directory exists" \
  $HOST check $WASM/example_files.wasm --dir "$OUT/data::/data"

step "Write a file through the files connector" \
  $HOST invoke $WASM/example_files.wasm write-file --dir "$OUT/data::/data" \
  --input '{"path": "hello.txt", "content": "Hello from a sandboxed connector\n"}'
step "List the directory" \
  $HOST invoke $WASM/example_files.wasm list-files --dir "$OUT/data::/data"
step "Read the file back" \
  $HOST invoke $WASM/example_files.wasm read-file --dir "$OUT/data::/data" --input '{"path": "hello.txt"}'
fails "Read a file outside the granted directory" \
  $HOST invoke $WASM/example_files.wasm read-file --dir "$OUT/data::/data" --input '{"path": "../../etc/passwd"}'
step "Poll the files trigger once (a first poll sees every file as added)" \
  $HOST poll $WASM/example_files.wasm file-added-or-changed --dir "$OUT/data::/data"

step "Hash a text with the data connector" \
  $HOST invoke $WASM/example_data.wasm hash --input '{"text": "hello", "algorithm": "sha256"}'
step "Turn CSV into JSON" \
  $HOST invoke $WASM/example_data.wasm csv-to-json --input '{"csv": "name,qty\nbolt,4\n\"nut, hex\",10\n"}'
fails "Input that breaks the schema is refused before the call, naming the JSON pointer" \
  $HOST invoke $WASM/example_data.wasm hash --input '{"text": "hello", "algorithm": "md5"}'

fails "A connector that loops forever is stopped by its time limit" \
  $HOST invoke $WASM/test_hostile.wasm spin --fuel unlimited --timeout 500ms
fails "... and by its fuel limit" $HOST invoke $WASM/test_hostile.wasm spin --fuel 100000000
fails "A memory bomb meets the memory limit" $HOST invoke $WASM/test_hostile.wasm grow-memory --max-memory 64MiB
fails "A panicking connector is a typed error, with its message" $HOST invoke $WASM/test_hostile.wasm panic
fails "HTTP to an origin the operator did not grant is refused (nothing is sent)" \
  $HOST invoke $WASM/test_hostile.wasm http-get --input '{"url": "http://127.0.0.1:9/"}'
fails "A guest that tries to leak its secret token: the host redacts it" \
  $HOST invoke $WASM/test_hostile.wasm leak-secret -c token=s3cr3t-demo-token --input '{"where": "error"}'

step "A second load comes from the compiled-component cache (-v shows it)" \
  $HOST -v validate $WASM/example_data.wasm
echo
echo "Demo finished. Files written by the connector are in $OUT/data."
