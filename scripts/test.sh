#!/usr/bin/env bash
# Runs every test: unit tests, native tests against a real PostgreSQL, and end-to-end tests against
# the worker in workerd. Extra arguments go to the test binaries (e.g. a test name filter).
set -euo pipefail
exec bash "$(dirname "$0")/with-test-cluster.sh" cargo test -- --test-threads "${TEST_THREADS:-4}" "$@"
