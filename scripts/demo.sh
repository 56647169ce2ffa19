#!/usr/bin/env bash
# The walk-through `make demo` runs: validate, describe, check and invoke on
# the example connectors (in Rust, Python and JavaScript), the host
# containing a misbehaving one, the conformance kit, and a trigger firing
# under `connector-host run`, and a workflow project run end to end.
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

# Connectors written in Python and JavaScript run in the same host, under the
# same contract, limits and grants. The first load of each compiles a
# component with a whole interpreter inside (10-20 s); later loads come from
# the cache.
step "Validate the Python example (calendar; the first load compiles CPython, 10-20 s)" \
  $HOST validate $WASM/example_calendar.wasm
step "Validate the JavaScript example (text; SpiderMonkey inside, also 10-20 s the first time)" \
  $HOST validate $WASM/example_text.wasm
step "Describe the Python connector" $HOST describe $WASM/example_calendar.wasm
step "Describe the JavaScript connector" $HOST describe $WASM/example_text.wasm
step "Count business days with the Python connector" \
  $HOST invoke $WASM/example_calendar.wasm business-days \
  --input '{"start": "2026-03-02", "end": "2026-03-16", "holidays": ["2026-03-06"]}'
step "Make a URL slug with the JavaScript connector" \
  $HOST invoke $WASM/example_text.wasm slugify --input '{"text": "Héllo, Wörld! Ça va?"}'
fails "Public holidays over HTTP, but the operator granted no origin: a typed error, nothing sent" \
  $HOST invoke $WASM/example_calendar.wasm public-holidays --input '{"country": "DE", "year": 2026}'

# The JavaScript connector reads a text with fetch from a local web server
# (127.0.0.1, a free port), once the operator grants that origin.
mkdir -p "$OUT/site"
printf '<html><body><h1>Release notes</h1><p>The host runs connectors. Connectors run in sandboxes.</p></body></html>\n' \
  > "$OUT/site/notes.html"
python3 - "$OUT/site" "$OUT/site.port" 2>/dev/null <<'PY' &
import functools, http.server, sys
handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[1])
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
with open(sys.argv[2] + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
import os; os.rename(sys.argv[2] + ".tmp", sys.argv[2])
server.serve_forever()
PY
site_pid=$!
trap 'kill "$site_pid" 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do [ -s "$OUT/site.port" ] && break; sleep 0.1; done
SITE="127.0.0.1:$(cat "$OUT/site.port")"
step "Analyse a page with the JavaScript connector (fetch over wasi:http, the origin granted)" \
  $HOST invoke $WASM/example_text.wasm analyze-url --input '{"url": "/notes.html", "top": 2}' \
  -c site="$SITE" -c site_use_tls=false --allow-http "http://{site} private"
fails "... and without the grant: refused by the host, a connector error" \
  $HOST invoke $WASM/example_text.wasm analyze-url --input '{"url": "/notes.html"}' \
  -c site="$SITE" -c site_use_tls=false
kill "$site_pid" 2>/dev/null || true
wait "$site_pid" 2>/dev/null || true
trap - EXIT

step "The conformance kit on the JavaScript connector, with the spec beside it" \
  $HOST test $WASM/example_text.wasm --spec guest-examples/js/text/connector-test.toml

# A trigger firing: the host polls a folder through the files connector, and
# a file dropped into it becomes an event in the JSON Lines sink.
mkdir -p "$OUT/inbox"
cat > "$OUT/host.toml" <<EOF
# Paths are relative to this file.
[sink]
kind = "jsonl"
path = "events.jsonl"

[[connector]]
name = "files"
component = "$PWD/$WASM/example_files.wasm"
dirs = ["./inbox::/data"]

[[connection]]
name = "inbox"
connector = "files"

[[trigger]]
name = "new-files"
connection = "inbox"
operation = "file-added-or-changed"
recurrence = "1s"
EOF
printf '\n\033[1m== %s\033[0m\n' "Run a trigger: the host watches $OUT/inbox (configuration $OUT/host.toml)"
cat "$OUT/host.toml"
echo "\$ $HOST run $OUT/host.toml &"
$HOST run "$OUT/host.toml" &
host_pid=$!
sleep 2
echo "\$ echo 'order 1001: 3 widgets' > $OUT/inbox/order-1001.txt"
echo 'order 1001: 3 widgets' > "$OUT/inbox/order-1001.txt"
# Wait (at most 10 s) for the event rather than guess how long a poll takes.
for _ in $(seq 1 50); do
  grep -q order-1001 "$OUT/events.jsonl" 2>/dev/null && break
  sleep 0.2
done
echo "\$ kill -TERM $host_pid"
kill -TERM "$host_pid"
wait "$host_pid" || true
step "The dropped file became an event in the JSON Lines sink" cat "$OUT/events.jsonl"
if ! grep -q order-1001 "$OUT/events.jsonl"; then
  echo "the trigger did not fire" >&2
  exit 1
fi
step "What the trigger did, and its committed state" $HOST status "$OUT/host.toml"
step "Run it once more: nothing new, nothing delivered again" $HOST run "$OUT/host.toml" --once

# A workflow project (examples/csv-to-files): a CSV file dropped in a folder starts a run
# that reads it (files), parses it (data), and writes one file per row (files, in a Foreach).
rm -rf "$OUT/csv-to-files"
cp -r examples/csv-to-files "$OUT/csv-to-files"
rm -rf "$OUT/csv-to-files/state"
sed -i "s#\.\./\.\./$WASM/#$PWD/$WASM/#" "$OUT/csv-to-files/host.toml"
step "A workflow project: host.toml, connections.json and one folder per workflow" \
  find "$OUT/csv-to-files" -type f -not -name '.*'
step "Check it: every file, every expression, every connector call against the connectors" \
  $HOST check-workflow "$OUT/csv-to-files"
step "Drop a CSV file into the watched folder" cp examples/csv-to-files/people.csv "$OUT/csv-to-files/data/inbox/"
step "Run the project once: poll the trigger, run every run to its end" \
  $HOST run "$OUT/csv-to-files" --once
step "One file per row" bash -c "head -v $OUT/csv-to-files/data/outbox/*.json"
step "The run history" $HOST runs "$OUT/csv-to-files"
run_id=$($HOST runs "$OUT/csv-to-files" --json | sed -n 's/.*"id": "\([0-9a-f]*\)".*/\1/p' | head -n 1)
step "Every action of the run: status, start, duration, attempts, inputs and outputs" \
  $HOST runs show "$OUT/csv-to-files" "$run_id"

echo
echo "Demo finished. Files written by the connector are in $OUT/data; the trigger's events are in $OUT/events.jsonl;"
echo "the workflow project's output is in $OUT/csv-to-files/data/outbox."

# Last, unless DEMO_SERVE=0 (scripts, CI): serve the project, with its designer and monitor,
# until Ctrl-C. The page's address, with its token, is printed below.
if [ "${DEMO_SERVE:-1}" != 0 ]; then
  echo
  echo "Serving the project (DEMO_SERVE=0 skips this). Open the address printed below;"
  echo "Workflows is the designer, Runs the monitor. Stop with Ctrl-C."
  echo "\$ $HOST serve $OUT/csv-to-files --print-url"
  exec $HOST serve "$OUT/csv-to-files" --print-url
fi
