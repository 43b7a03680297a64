#!/usr/bin/env bash
# A private PostgreSQL cluster for a project folder: no system service, loopback only.
#   pg.sh start DIR PORT [--tls CERT KEY] [name=value...]
#                                  initdb on first use, then start and wait; --tls serves TLS with
#                                  that certificate and key, name=value are postgres -c settings
#   pg.sh stop DIR                 fast shutdown (nothing to do if it is not running)
#   pg.sh remove DIR               stop, and delete the cluster's data
# The superuser is "app" with password "app" (Hyperdrive's local binding requires a password).
#
# initdb and postgres refuse to run as root, so as root they run as the postgres user, which cannot
# enter a checkout under root's 0700 home. As root the data therefore lives in a folder of that
# user's under /var/tmp, named after DIR's absolute path, so each DIR keeps finding its own cluster.
set -euo pipefail
source "$(dirname "$0")/env.sh"

command=${1:?usage: pg.sh start DIR PORT [--tls CERT KEY] [name=value...] | stop DIR | remove DIR}
given=${2:?data folder}
# DIR's absolute path (realpath -m, which macOS lacks, would do); start creates its parent.
[ "$command" != start ] || mkdir -p "$(dirname "$given")"
if [ -d "$(dirname "$given")" ]; then
  dir="$(cd "$(dirname "$given")" && pwd -P)/$(basename "$given")"
else
  dir=$given
fi

if [ "$(id -u)" = 0 ]; then
  # From /, since the postgres user may not enter the working directory (a checkout in /root).
  as_owner() { (cd / && runuser -u postgres -- "$@"); }
  owned() { install -o postgres "$@"; }
  parent=/var/tmp/missed-call-textback-pg
  mkdir -p -m 755 "$parent"
  if [ -L "$parent" ] || [ "$(stat -c %u "$parent")" != 0 ]; then
    echo "pg.sh: $parent must be a folder of root's" >&2
    exit 1
  fi
  data="$parent/$(basename "$dir")-$(printf %s "$dir" | sha256sum | cut -c 1-16)"
else
  as_owner() { "$@"; }
  owned() { install "$@"; }
  data=$dir
fi

running() { [ -f "$data/postmaster.pid" ]; }
stop() { if running; then as_owner "$PG_BIN/pg_ctl" stop -w -m fast -D "$data" >/dev/null; fi; }

case "$command" in
  start)
    port=${3:?port}
    shift 3
    if [ ! -f "$data/PG_VERSION" ]; then
      owned -d -m 700 "$data"
      pwfile=$(mktemp)
      echo app >"$pwfile"
      chmod 644 "$pwfile"
      as_owner "$PG_BIN/initdb" -D "$data" -U app --pwfile="$pwfile" --auth=scram-sha-256 \
        --encoding=UTF8 --locale="$(locale -a | initdb_locale)" --no-sync >/dev/null
      rm -f "$pwfile"
    fi
    # TCP on loopback only; no Unix socket, whose path (under DIR) could pass the 104-107 bytes
    # macOS and Linux allow.
    options="-p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c max_connections=300"
    if [ "${1:-}" = --tls ]; then
      # The server reads its key only if its own user owns it and no one else may read it.
      owned -m 644 "${2:?certificate}" "$data/server.crt"
      owned -m 600 "${3:?key}" "$data/server.key"
      options="$options -c ssl=on -c ssl_cert_file=server.crt -c ssl_key_file=server.key"
      shift 3
    fi
    for extra in "$@"; do options="$options -c $extra"; done
    as_owner "$PG_BIN/pg_ctl" start -w -t 30 -D "$data" -l "$data/server.log" -o "$options" >/dev/null
    ;;
  stop)
    stop
    ;;
  remove)
    stop
    rm -rf "$data"
    ;;
  *)
    echo "unknown command $command" >&2
    exit 2
    ;;
esac
