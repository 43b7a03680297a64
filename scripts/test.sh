#!/usr/bin/env bash
# Runs every test: unit tests, native tests against a real PostgreSQL, and end-to-end tests against
# the worker in workerd. Extra arguments go to the test binaries (e.g. a test name filter).
set -uo pipefail
source "$(dirname "$0")/env.sh"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
bash "$ROOT/scripts/with-test-cluster.sh" cargo test --workspace --lib --bins --tests -- \
  --test-threads "${TEST_THREADS:-4}" "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
sum() { grep -E '^test result:' "$log" | grep -oE "[0-9]+ $1" | awk '{ n += $1 } END { print n + 0 }'; }
echo "tests: $(sum passed) passed, $(sum failed) failed"
exit "$status"
