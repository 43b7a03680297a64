#!/usr/bin/env bash
# Builds the worker, starts a throwaway PostgreSQL cluster, runs the given command with
# TEST_DATABASE_URL pointing at it, and stops the cluster and any worker left behind afterwards.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"

bash scripts/build.sh

cluster="$LOCAL_DIR/test-pg"
bash scripts/pg.sh remove "$cluster"
port=$(free_port)
bash scripts/pg.sh start "$cluster" "$port" fsync=off synchronous_commit=off full_page_writes=off
export TEST_DATABASE_URL="postgresql://app:app@127.0.0.1:$port/postgres"
export TEST_PROCESS_GROUPS_FILE="$LOCAL_DIR/test-process-groups"
: >"$TEST_PROCESS_GROUPS_FILE"
finish() {
  # Workers a crashed test binary could not stop itself; the harness listed every one it started.
  while read -r group; do kill -KILL -- "-$group" 2>/dev/null || true; done <"$TEST_PROCESS_GROUPS_FILE"
  bash scripts/pg.sh remove "$cluster"
}
trap finish EXIT

"$@"
