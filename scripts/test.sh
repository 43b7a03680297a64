#!/usr/bin/env bash
# Runs every test: unit tests, native tests against a real PostgreSQL, end-to-end tests against
# the worker in workerd, and the race-and-fault suite's small run (benches/faults: 200 trials a
# scenario, failing on any lost, doubled or wrongly texted call). Extra arguments go to the test
# binaries (e.g. a test name filter, which picks the suite's scenarios by name too).
set -uo pipefail
source "$(dirname "$0")/env.sh"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
bash "$ROOT/scripts/with-test-cluster.sh" cargo test --workspace --lib --bins --tests --bench faults -- \
  --test-threads "${TEST_THREADS:-4}" "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
sum() { grep -E '^test result:' "$log" | grep -oE "[0-9]+ $1" | awk '{ n += $1 } END { print n + 0 }'; }
echo "tests: $(sum passed) passed, $(sum failed) failed"
exit "$status"
