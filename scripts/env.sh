# Sourced by the other scripts: where the project's tools live and how to find them.
# shellcheck shell=bash
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export ROOT
# Host tools built from crates.io live outside the clone so fresh clones on one machine share them.
export TOOLS_DIR="${TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/missed-call-textback/tools}"
export LOCAL_DIR="$ROOT/.local"
# runuser (pg.sh, as root) lives in sbin, which a minimal PATH may leave out.
case ":$PATH:" in *:/usr/sbin:*) ;; *) export PATH="$PATH:/usr/sbin:/sbin" ;; esac
WORKER_BUILD_VERSION=0.8.7
WASM_BINDGEN_VERSION="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' "$ROOT/Cargo.lock")"
export WORKER_BUILD_VERSION WASM_BINDGEN_VERSION
# rustup's own toolchain when it already has the wasm32 std (a normal laptop); Debian's rustc-web
# building std from source otherwise (these offline machines).
if command -v rustup >/dev/null 2>&1 && rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  export WASM_ROUTE=rustup
else
  export WASM_ROUTE=debian
fi
# node_modules/.bin has wrangler and, on Linux, the Node 22 of npm's node-linux-* package (Debian 12's
# Node is too old for wrangler); elsewhere the machine's own Node runs (setup.sh checks its version).
export PATH="$ROOT/node_modules/.bin:$TOOLS_DIR/bin:$PATH"
export WASM_BINDGEN_BIN="$TOOLS_DIR/bin/wasm-bindgen"
export WASM_OPT_BIN="$ROOT/node_modules/.bin/wasm-opt"
export ESBUILD_BIN="$ROOT/node_modules/.bin/esbuild"
export WRANGLER_SEND_METRICS=false
export CLOUDFLARE_CF_FETCH_ENABLED=false
export XDG_CONFIG_HOME="$LOCAL_DIR/config"
# PostgreSQL's server programs: those on PATH (Homebrew, Postgres.app), else where pg_config says,
# else Debian's newest (Debian keeps them off PATH).
find_pg_bin() {
  local dir
  for dir in "$(dirname "$(command -v pg_ctl 2>/dev/null || echo /nonexistent/pg_ctl)")" \
    "$(pg_config --bindir 2>/dev/null)" \
    $([ -d /usr/lib/postgresql ] && ls -d /usr/lib/postgresql/*/bin | sort -r -V); do
    if [ -x "$dir/pg_ctl" ] && [ -x "$dir/initdb" ]; then
      echo "$dir"
      return
    fi
  done
}
PG_BIN="$(find_pg_bin)"
export PG_BIN

# Points cargo at the toolchain that can build for wasm32. On the Debian route, worker-build and
# cargo call whichever cargo/rustc come first in PATH: make that Debian's rustc-web, which builds
# the wasm32 std from source.
use_wasm_toolchain() {
  [ "$WASM_ROUTE" = debian ] || return 0
  mkdir -p "$LOCAL_DIR/debian-rust"
  for tool in cargo rustc rustdoc cargo-clippy clippy-driver; do
    ln -sf "/usr/bin/$tool" "$LOCAL_DIR/debian-rust/$tool"
  done
  export PATH="$LOCAL_DIR/debian-rust:$PATH"
  export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER=/usr/lib/llvm-22/bin/wasm-ld
  export RUSTC_BOOTSTRAP=1 CARGO_UNSTABLE_BUILD_STD=std,panic_abort
  # Keep Debian's artifacts apart from rustup's so neither toolchain invalidates the other.
  export CARGO_TARGET_DIR="$ROOT/target/debian"
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# initdb's locale, given `locale -a` on stdin: C.UTF-8 where the system has it (Linux), else C
# (macOS has no C.UTF-8).
initdb_locale() {
  if grep -ixE 'c\.utf-?8' >/dev/null; then echo C.UTF-8; else echo C; fi
}

# Whether version $1 (v22.23.3 or 22.23.3) is at least $2 (22.12.0).
version_at_least() {
  local IFS=. i
  local -a have want
  read -r -a have <<<"${1#v}"
  read -r -a want <<<"$2"
  for i in 0 1 2; do
    [ "${have[i]:-0}" -gt "${want[i]:-0}" ] && return 0
    [ "${have[i]:-0}" -lt "${want[i]:-0}" ] && return 1
  done
  return 0
}
