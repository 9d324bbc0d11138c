#!/usr/bin/env bash
# Keel in front of `keel simulate` against the same load sent straight to the simulator.
#
# The gateway is pinned to CPU 0; the simulator and wrk share CPU 1. One wrk connection per wrk
# thread. For each concurrency and mode (chat, stream) it prints wrk's latency percentiles for
# the direct and the gateway run, and the gateway's CPU time per request (from /proc) and RSS.
#
# Usage: bench/run.sh [DURATION_SECONDS] [CONCURRENCIES...]      (defaults: 10, "1 8 32 128")
# Needs: wrk, taskset (Debian: wrk, util-linux). Builds keel in release mode first.
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-10}
shift || true
concurrencies=${*:-1 8 32 128}
. bench/start.sh

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
rss_kib() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
ticks_per_second=$(getconf CLK_TCK)

run_wrk() { # url connections stream
  BENCH_STREAM=$3 taskset -c 1 wrk -t "$2" -c "$2" -d "${duration}s" --latency -s bench/chat.lua "$1"
}

summary() { # label wrk-output
  local requests p50 p90 p99
  requests=$(echo "$2" | awk '/requests in/ {print $1}')
  p50=$(echo "$2" | awk '$1=="50%" {print $2}')
  p90=$(echo "$2" | awk '$1=="90%" {print $2}')
  p99=$(echo "$2" | awk '$1=="99%" {print $2}')
  rps=$(echo "$2" | awk '/Requests\/sec/ {print $2}')
  errors=$(echo "$2" | awk '/Non-2xx/ {print $NF}')
  printf '%-26s requests=%-8s rps=%-10s p50=%-9s p90=%-9s p99=%-9s non2xx=%s\n' "$1" "$requests" "$rps" "$p50" "$p90" "$p99" "${errors:-0}"
}

# Warm up both paths (connection pools, caches).
run_wrk "http://127.0.0.1:$BENCH_SIM_PORT/v1/chat/completions" 8 0 >/dev/null
run_wrk "http://127.0.0.1:$BENCH_GATEWAY_PORT/v1/chat/completions" 8 0 >/dev/null

for stream in 0 1; do
  mode=$([ "$stream" = 1 ] && echo stream || echo chat)
  for c in $concurrencies; do
    direct=$(run_wrk "http://127.0.0.1:$BENCH_SIM_PORT/v1/chat/completions" "$c" "$stream")
    before=$(cpu_ticks $gw_pid)
    gateway=$(run_wrk "http://127.0.0.1:$BENCH_GATEWAY_PORT/v1/chat/completions" "$c" "$stream")
    after=$(cpu_ticks $gw_pid)
    summary "direct  $mode c=$c" "$direct"
    summary "gateway $mode c=$c" "$gateway"
    requests=$(echo "$gateway" | awk '/requests in/ {print $1}')
    awk -v t=$((after - before)) -v hz="$ticks_per_second" -v n="$requests" -v rss="$(rss_kib $gw_pid)" \
      'BEGIN { printf "gateway cpu/request=%.1f us   rss=%.1f MiB\n\n", (t / hz) * 1e6 / n, rss / 1024 }'
  done
done
