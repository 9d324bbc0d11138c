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
export BENCH_DIR=$(mktemp -d /tmp/keel-soak.XXXXXX)
export BENCH_GATEWAY_PORT=${BENCH_GATEWAY_PORT:-18080}
export BENCH_SIM_PORT=${BENCH_SIM_PORT:-19090}
swift build -c release --product keel >/dev/null
keel=$(swift build -c release --show-bin-path)/keel
taskset -c 1 "$keel" simulate --port "$BENCH_SIM_PORT" >"$BENCH_DIR/sim.log" 2>&1 &
sim_pid=$!
taskset -c 0 "$keel" serve --config bench/keel-bench.yaml --log-level warning >"$BENCH_DIR/gateway.log" 2>&1 &
gw_pid=$!
trap 'kill $gw_pid $sim_pid 2>/dev/null; wait 2>/dev/null; rm -rf "$BENCH_DIR"' EXIT
sleep 2
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
