#!/usr/bin/env bash
# The crash test, longer than the one in the test suite: `connector-host run`
# on the test-source connector (a known sequence of items, three per poll) is
# killed with SIGKILL at random moments and restarted, over and over; then
# every item must be in the JSON Lines sink (0 lost), and each only once.
#
#   scripts/crash-test.sh                 3 rounds, 3000 items each
#   ROUNDS=10 CRASH_TEST_ITEMS=6000 scripts/crash-test.sh
#   CRASH_TEST_SEED=12345 ROUNDS=1 scripts/crash-test.sh   # replay one round
#
# Each round is bounded: at most CRASH_TEST_MAX_KILLS kills and
# CRASH_TEST_SECONDS of killing, then one clean run finishes the sequence.
# The figures of every round are printed and appended to
# target/crash-test-report.txt.
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-3}
export CRASH_TEST_ITEMS=${CRASH_TEST_ITEMS:-3000}
export CRASH_TEST_BATCH=${CRASH_TEST_BATCH:-3}
export CRASH_TEST_MAX_KILLS=${CRASH_TEST_MAX_KILLS:-400}
export CRASH_TEST_SECONDS=${CRASH_TEST_SECONDS:-300}
export CRASH_TEST_REPORT=${CRASH_TEST_REPORT:-$PWD/target/crash-test-report.txt}
export CONNECTOR_HOST_TEST_CACHE=${CONNECTOR_HOST_TEST_CACHE:-$PWD/target/component-cache}

make --no-print-directory guests build
mkdir -p "$(dirname "$CRASH_TEST_REPORT")"
for round in $(seq 1 "$ROUNDS"); do
  echo "== round $round of $ROUNDS ($CRASH_TEST_ITEMS items, up to $CRASH_TEST_MAX_KILLS kills)"
  set +e
  output=$(cargo test --release -q -p connector-host --test all -- --exact --nocapture \
    triggers_crash::sigkill_at_random_moments_loses_nothing_and_duplicates_nothing 2>&1)
  status=$?
  set -e
  grep -E '^crash test:' <<<"$output" || true
  if [ "$status" -ne 0 ]; then
    tail -n 40 <<<"$output"
    echo "round $round FAILED (to replay it, set CRASH_TEST_SEED to the seed printed above)"
    exit 1
  fi
done
echo
echo "all $ROUNDS rounds passed; figures in $CRASH_TEST_REPORT"
