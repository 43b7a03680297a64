#!/usr/bin/env bash
# Builds what `wrangler deploy` uploads: build/index.js and build/index_bg.wasm. wrangler.toml's
# [build] command runs this too, so `wrangler dev` and `wrangler deploy` rebuild the same way.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"

use_wasm_toolchain

worker-build --release "$@"

wasm=build/index_bg.wasm
raw=$(wc -c <"$wasm")
gz=$(gzip -9 -c "$wasm" | wc -c)
echo "bundle: $wasm $((raw / 1024)) KiB raw, $((gz / 1024)) KiB gzip (Free plan limit 3072 KiB gzip)"
