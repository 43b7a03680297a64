#!/usr/bin/env bash
# Runs the whole system locally: a private PostgreSQL cluster (.local/dev-pg, kept between runs),
# the Twilio double, and the worker under `wrangler dev --test-scheduled`. Ctrl-C stops all of it.
set -euo pipefail
# Job control: each background job below gets a process group of its own (what `setsid` would do on
# Linux; macOS has no setsid), so cleanup can stop a job and everything it started. Background jobs
# read nothing from the terminal (</dev/null), which would stop them.
set -m
source "$(dirname "$0")/env.sh"
cd "$ROOT"
mkdir -p "$LOCAL_DIR"

port_is_free() { python3 -c "import socket,sys; s=socket.socket(); s.bind(('127.0.0.1', int(sys.argv[1])))" "$1" 2>/dev/null; }
pick_port() { # reuse the remembered port when it is still free, else take a new one
  local file="$LOCAL_DIR/$1.port" port
  port=$(cat "$file" 2>/dev/null || echo "${2:-}")
  if [ -z "$port" ] || ! port_is_free "$port"; then port=$(free_port); fi
  echo "$port" >"$file"
  echo "$port"
}

cluster="$LOCAL_DIR/dev-pg"
pids=()
cleanup() {
  trap - INT TERM EXIT
  for pid in ${pids[@]+"${pids[@]}"}; do kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true; done
  bash scripts/pg.sh stop "$cluster" 2>/dev/null || true
  echo "stopped."
}
trap cleanup INT TERM EXIT

pg_port=$(pick_port dev-pg)
bash scripts/pg.sh stop "$cluster"
bash scripts/pg.sh start "$cluster" "$pg_port"
database_url="postgresql://app:app@127.0.0.1:$pg_port/postgres"
cargo build -q -p missed-call-textback -p twilio-double --bin migrate --bin twilio-double
target/debug/migrate "$database_url"

account_sid=AC00000000000000000000000000000000
auth_token=local-dev-auth-token
admin_token=local-admin-token
cron_secret=local-cron-secret
double_port=$(pick_port dev-twilio)
target/debug/twilio-double --port "$double_port" --account-sid "$account_sid" --auth-token "$auth_token" </dev/null &
pids+=($!)

worker_port=$(pick_port dev-worker 8787)
worker_url="http://127.0.0.1:$worker_port"
cat >"$LOCAL_DIR/dev.env" <<ENV
WORKER_URL=$worker_url
TWILIO_DOUBLE_URL=http://127.0.0.1:$double_port
TWILIO_AUTH_TOKEN=$auth_token
ADMIN_TOKEN=$admin_token
CRON_SECRET=$cron_secret
DATABASE_URL=$database_url
ENV

CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_HYPERDRIVE="$database_url" wrangler dev \
  --ip 127.0.0.1 --port "$worker_port" --test-scheduled --show-interactive-dev-session=false \
  --var "APP_URL:$worker_url" --var "TWILIO_API_BASE_URL:http://127.0.0.1:$double_port" \
  --var "TWILIO_LOOKUP_BASE_URL:http://127.0.0.1:$double_port" \
  --var "TWILIO_ACCOUNT_SID:$account_sid" --var "TWILIO_AUTH_TOKEN:$auth_token" \
  --var "ADMIN_TOKEN:$admin_token" --var "CRON_SECRET:$cron_secret" </dev/null &
pids+=($!)

for _ in $(seq 1 600); do
  # Any answer will do: health is 503 while, say, the cron has been away between two runs of this.
  curl -s -o /dev/null "$worker_url/api/health" 2>/dev/null && break
  sleep 0.5
done
# What Cloudflare's */1 trigger does in production: wrangler dev runs a cron only when asked.
(while :; do curl -fs "$worker_url/__scheduled?cron=*/1+*+*+*+*" >/dev/null 2>&1; sleep 60; done) </dev/null &
pids+=($!)
# A demo number so a simulated call has somewhere to go (the admin API, as a user would).
curl -fs -X PUT "$worker_url/api/admin/numbers/+15005550006" -H "Authorization: Bearer $admin_token" \
  -d '{"forward_to":"+14155550100","business_name":"Demo Plumbing"}' >/dev/null

cat <<INFO

  Missed-call text-back is running locally (Ctrl-C stops everything):
    worker         $worker_url   (health: $worker_url/api/health)
    voice webhook  $worker_url/api/webhooks/twilio/voice
    cron           every minute, as deployed; by hand: $worker_url/__scheduled?cron=*/1+*+*+*+*
    twilio double  http://127.0.0.1:$double_port   (what it was sent: /__double/requests)
    postgres       $database_url
    admin token    $admin_token     demo number +15005550006 -> +14155550100
  Simulate a missed call:  make simulate-call

INFO
wait "${pids[@]}"
