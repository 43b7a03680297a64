#!/usr/bin/env bash
# Formatting and clippy, natively (everything but the worker entry points) and for wasm32 (the
# routes, the edge and the event entry, which only exist there). Warnings fail.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
cargo fmt --all -- --check
cargo clippy --all-targets -- -D warnings
use_wasm_toolchain
cargo clippy --lib --release --target wasm32-unknown-unknown -- -D warnings
echo "lint: clean"
