#!/usr/bin/env bash
# Builds what `wrangler deploy` uploads: build/index.js and build/index_bg.wasm. wrangler.toml's
# [build] command runs this too, so `wrangler dev` and `wrangler deploy` rebuild the same way.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"

if [ "$WASM_ROUTE" = debian ]; then
  # worker-build calls whichever cargo/rustc come first in PATH: make that Debian's rustc-web.
  mkdir -p "$LOCAL_DIR/debian-rust"
  for tool in cargo rustc rustdoc; do ln -sf "/usr/bin/$tool" "$LOCAL_DIR/debian-rust/$tool"; done
  export PATH="$LOCAL_DIR/debian-rust:$PATH"
  export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER=/usr/lib/llvm-22/bin/wasm-ld
  export RUSTC_BOOTSTRAP=1 CARGO_UNSTABLE_BUILD_STD=std,panic_abort
  # Keep Debian's artifacts apart from rustup's so neither toolchain invalidates the other.
  export CARGO_TARGET_DIR="$ROOT/target/debian"
fi

worker-build --release "$@"

wasm=build/index_bg.wasm
raw=$(wc -c <"$wasm")
gz=$(gzip -9 -c "$wasm" | wc -c)
echo "bundle: $wasm $((raw / 1024)) KiB raw, $((gz / 1024)) KiB gzip (Free plan limit 3072 KiB gzip)"
