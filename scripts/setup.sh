#!/usr/bin/env bash
# Installs what building, running and testing need. Idempotent: skips whatever is already there.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"

step() { printf '\n== %s\n' "$*"; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

apt_missing=()
need_pkg() { dpkg -s "$1" >/dev/null 2>&1 || apt_missing+=("$1"); }
if command -v dpkg >/dev/null 2>&1; then
  [ -n "$PG_BIN" ] || need_pkg postgresql
  # The dashboard's browser test drives Debian's chromium (headless) with playwright-core.
  [ -x /usr/bin/chromium ] || need_pkg chromium
  if [ "$WASM_ROUTE" = debian ]; then
    for pkg in rustc-web cargo-web rust-web-src rust-web-clippy lld-22; do need_pkg "$pkg"; done
  fi
  if [ ${#apt_missing[@]} -gt 0 ]; then
    step "apt: ${apt_missing[*]}"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${apt_missing[@]}"
  fi
elif [ "$WASM_ROUTE" = debian ] || [ -z "$PG_BIN" ]; then
  echo "Not a Debian machine: install PostgreSQL and run 'rustup target add wasm32-unknown-unknown', then rerun." >&2
  exit 1
fi
if [ "$WASM_ROUTE" = debian ]; then
  # worker-build insists this folder exists; build-std fills the std in per build.
  as_root mkdir -p "$(/usr/bin/rustc --print sysroot)/lib/rustlib/wasm32-unknown-unknown/lib"
fi

if [ ! -x node_modules/.bin/wrangler ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  step "npm ci: wrangler, esbuild, binaryen (and on Linux, Node 22)"
  # Exactly the lock file, which lists every platform's packages, and never rewrites it.
  npm ci --no-audit --no-fund --loglevel=error
fi
node_needed=$(node -p 'require("./node_modules/wrangler/package.json").engines.node.replace(">=", "")')
if ! version_at_least "$(node --version)" "$node_needed"; then
  echo "wrangler needs Node $node_needed or newer; this machine's is $(node --version): install a newer Node, then rerun." >&2
  exit 1
fi

installed_version() { "$1" --version 2>/dev/null | awk '{ print $NF }'; }
if [ "$(installed_version "$TOOLS_DIR/bin/worker-build")" != "$WORKER_BUILD_VERSION" ]; then
  step "cargo install worker-build $WORKER_BUILD_VERSION"
  cargo install worker-build --version "=$WORKER_BUILD_VERSION" --locked --root "$TOOLS_DIR"
fi
if [ "$(installed_version "$TOOLS_DIR/bin/wasm-bindgen")" != "$WASM_BINDGEN_VERSION" ]; then
  step "cargo install wasm-bindgen-cli $WASM_BINDGEN_VERSION (must match Cargo.lock)"
  # Not --locked: a version its lock file pins is no longer in the registry.
  cargo install wasm-bindgen-cli --version "=$WASM_BINDGEN_VERSION" --root "$TOOLS_DIR"
fi

echo "setup: ready (wasm route: $WASM_ROUTE, postgres: ${PG_BIN:-?}, tools: $TOOLS_DIR)"
