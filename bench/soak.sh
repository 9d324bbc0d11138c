#!/usr/bin/env bash
# Memory under sustained load: drives the gateway (pinned to CPU 0) with chat requests from wrk
# (CPU 1, against `keel simulate` on CPU 1) for DURATION seconds and prints the gateway's RSS
# every INTERVAL seconds with the number of requests served so far (from the request log).
#
# Usage: bench/soak.sh [DURATION_SECONDS] [INTERVAL_SECONDS] [CONNECTIONS]   (defaults: 140 20 32)
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-140}
interval=${2:-20}
connections=${3:-32}
. bench/start.sh
taskset -c 1 wrk -t "$connections" -c "$connections" -d "${duration}s" -s bench/chat.lua \
  "http://127.0.0.1:$BENCH_GATEWAY_PORT/v1/chat/completions" >"$BENCH_DIR/wrk.txt" 2>&1 &
wrk_pid=$!
elapsed=0
while kill -0 $wrk_pid 2>/dev/null; do
  sleep "$interval"
  elapsed=$((elapsed + interval))
  rss=$(awk '/VmRSS/ {print $2}' "/proc/$gw_pid/status")
  served=$(sqlite3 "$BENCH_DIR/keel.sqlite" 'select count(*) from request_record' 2>/dev/null || echo '?')
  printf 't=%4ss  rss=%6.1f MiB  records=%s\n' "$elapsed" "$(echo "$rss / 1024" | bc -l)" "$served"
done
grep -E "requests in|Requests/sec|Non-2xx" "$BENCH_DIR/wrk.txt"
sleep 2
printf 'final  rss=%6.1f MiB  records=%s\n' "$(echo "$(awk '/VmRSS/ {print $2}' "/proc/$gw_pid/status") / 1024" | bc -l)" \
  "$(sqlite3 "$BENCH_DIR/keel.sqlite" 'select count(*) from request_record')"
