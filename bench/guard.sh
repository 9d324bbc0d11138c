#!/usr/bin/env bash
# What the content guard adds: the gateway with every content rule on (`keel-bench-guard.yaml`:
# personal data and credentials redacted, injection flagged) against the same gateway without
# policies (`keel-bench.yaml`), chat at one connection with a prompt of PROMPT_BYTES of prose, in
# rounds that alternate the two (A B A B …) so drift on the shared machine hits both alike. A
# direct run against the simulator, with the same body, comes first.
#
# Usage: KEEL_BIN=path bench/guard.sh [SECONDS] [ROUNDS] [PROMPT_BYTES]   (defaults: 10, 3, 4096)
# Needs: wrk, taskset. Gateway on CPU 0; the simulator and wrk on CPU 1 (as run.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-10}
rounds=${2:-3}
export BENCH_PROMPT_BYTES=${3:-4096}
keel=${KEEL_BIN:-.build/release/keel}
export BENCH_DIR=$(mktemp -d /tmp/keel-bench.XXXXXX)
export BENCH_GATEWAY_PORT=${BENCH_GATEWAY_PORT:-18080}
export BENCH_SIM_PORT=${BENCH_SIM_PORT:-19090}

taskset -c 1 "${KEEL_SIM_BIN:-$keel}" simulate --port "$BENCH_SIM_PORT" >"$BENCH_DIR/sim.log" 2>&1 &
sim_pid=$!
gw_pid=
cleanup() {
  if [ -n "$gw_pid" ]; then kill "$gw_pid" 2>/dev/null || true; fi
  kill "$sim_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$BENCH_DIR"
}
trap cleanup EXIT
wait_up() { for _ in $(seq 200); do curl -sf "$1" >/dev/null 2>&1 && return 0; sleep 0.1; done; echo "not up: $1" >&2; return 1; }
wait_up "http://127.0.0.1:$BENCH_SIM_PORT/_simulator/health"

run_wrk() { # url seconds
  taskset -c 1 wrk -t 1 -c 1 -d "$2s" --latency -s bench/chat.lua "$1"
}

summary() { # label wrk-output [cpu-ticks]
  local requests p50 p90 p99 errors
  requests=$(echo "$2" | awk '/requests in/ {print $1}')
  p50=$(echo "$2" | awk '$1=="50%" {print $2}')
  p90=$(echo "$2" | awk '$1=="90%" {print $2}')
  p99=$(echo "$2" | awk '$1=="99%" {print $2}')
  errors=$(echo "$2" | awk '/Non-2xx/ {print $NF}')
  printf '%-16s requests=%-7s p50=%-9s p90=%-9s p99=%-9s non2xx=%-4s' "$1" "$requests" "$p50" "$p90" "$p99" "${errors:-0}"
  if [ -n "${3:-}" ]; then
    awk -v t="$3" -v hz="$(getconf CLK_TCK)" -v n="$requests" 'BEGIN { printf " cpu/request=%.1f us", (t / hz) * 1e6 / n }'
  fi
  echo
}

gateway_cell() { # label config
  rm -f "$BENCH_DIR"/keel.sqlite*
  taskset -c 0 "$keel" serve --config "$2" --log-level warning >"$BENCH_DIR/gateway.log" 2>&1 &
  gw_pid=$!
  wait_up "http://127.0.0.1:$BENCH_GATEWAY_PORT/healthz"
  run_wrk "http://127.0.0.1:$BENCH_GATEWAY_PORT/v1/chat/completions" 3 >/dev/null
  local before after out
  before=$(awk '{print $14 + $15}' "/proc/$gw_pid/stat")
  out=$(run_wrk "http://127.0.0.1:$BENCH_GATEWAY_PORT/v1/chat/completions" "$duration")
  after=$(awk '{print $14 + $15}' "/proc/$gw_pid/stat")
  kill "$gw_pid"
  wait "$gw_pid" 2>/dev/null || true
  gw_pid=
  summary "$1" "$out" $((after - before))
}

run_wrk "http://127.0.0.1:$BENCH_SIM_PORT/v1/chat/completions" 3 >/dev/null
summary "direct" "$(run_wrk "http://127.0.0.1:$BENCH_SIM_PORT/v1/chat/completions" "$duration")"
for round in $(seq "$rounds"); do
  gateway_cell "A no-policy #$round" bench/keel-bench.yaml
  gateway_cell "B guard #$round" bench/keel-bench-guard.yaml
done
