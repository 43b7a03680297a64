#!/usr/bin/env bash
# A private PostgreSQL cluster in a project folder: no system service, loopback only.
#   pg.sh start DIR PORT [postgres -c options...]   initdb on first use, then start and wait
#   pg.sh stop DIR                                  fast shutdown
# The superuser is "app" with password "app" (Hyperdrive's local binding requires a password).
set -euo pipefail
source "$(dirname "$0")/env.sh"

# initdb and postgres refuse to run as root; run them as the postgres system user then.
as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

command=${1:?usage: pg.sh start DIR PORT | stop DIR}
dir=$(realpath -m "${2:?data folder}")
case "$command" in
  start)
    port=${3:?port}
    shift 3
    if [ ! -f "$dir/PG_VERSION" ]; then
      mkdir -p "$dir"
      [ "$(id -u)" = 0 ] && chown postgres "$dir"
      pwfile=$(mktemp)
      echo app >"$pwfile"
      chmod 644 "$pwfile"
      as_owner "$PG_BIN/initdb" -D "$dir" -U app --pwfile="$pwfile" --auth=scram-sha-256 \
        --encoding=UTF8 --locale=C.UTF-8 >/dev/null
      rm -f "$pwfile"
    fi
    options="-p $port -c listen_addresses=127.0.0.1 -k $dir -c max_connections=300"
    for extra in "$@"; do options="$options -c $extra"; done
    as_owner "$PG_BIN/pg_ctl" start -w -t 30 -D "$dir" -l "$dir/server.log" -o "$options" >/dev/null
    ;;
  stop)
    [ -f "$dir/postmaster.pid" ] && as_owner "$PG_BIN/pg_ctl" stop -w -m fast -D "$dir" >/dev/null
    ;;
  *)
    echo "unknown command $command" >&2
    exit 2
    ;;
esac
