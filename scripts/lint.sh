#!/usr/bin/env bash
# Formatting and clippy, natively (the whole workspace, the Twilio double included, but not the
# worker entry points) and for wasm32 (the product crate only: the routes, the edge and the event
# entry, which only exist there). Warnings fail.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings
use_wasm_toolchain
# Cargo looks for subcommands in ~/.cargo/bin before PATH, so `cargo clippy` would reach rustup's
# clippy (and its toolchain, without the std sources build-std needs) even on the Debian route:
# call the chosen toolchain's cargo-clippy itself.
if [ "$WASM_ROUTE" = debian ]; then clippy=(cargo-clippy clippy); else clippy=(cargo clippy); fi
"${clippy[@]}" --lib --release --target wasm32-unknown-unknown -- -D warnings
echo "lint: clean"
