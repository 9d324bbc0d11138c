#!/usr/bin/env bash
# The MCP gateway's added latency per tool call: `tools/call` straight to the simulator's MCP
# server, through the gateway with a plain key, and through it as a registered agent with a
# tool scope and a task (the agent path: scope check, task step, kill-switch flight).
#
# Usage: bench/mcp.sh [DURATION_SECONDS] [CONCURRENCIES...]      (defaults: 10, "1 32")
# Needs: wrk, taskset, curl. Builds keel in release mode first (or KEEL_BIN).
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-10}
shift || true
concurrencies=${*:-1 32}
BENCH_CONFIG=bench/keel-bench-mcp.yaml . bench/start.sh

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
ticks_per_second=$(getconf CLK_TCK)
admin="Authorization: Bearer sk-bench-admin-0123456789abcdef"
gateway="http://127.0.0.1:$BENCH_GATEWAY_PORT"

curl -sf -X POST "$gateway/admin/v1/agents" -H "$admin" -H 'Content-Type: application/json' \
  -d '{"id":"bench-agent","name":"Bench agent","tools":["sim/echo","sim/search"]}' >/dev/null
agent_key=$(curl -sf -X POST "$gateway/admin/v1/keys" -H "$admin" -H 'Content-Type: application/json' \
  -d '{"agent":"bench-agent"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["key"])')
sleep 1.5 # the key and the agent reach the data plane (key and agent sync intervals)

run_wrk() { # url connections [key] [task]
  BENCH_KEY=${3:-sk-bench-key-0123456789} BENCH_TASK=${4:-} \
    taskset -c 1 wrk -t "$2" -c "$2" -d "${duration}s" --latency -s bench/mcp.lua "$1"
}

summary() { # label wrk-output
  local requests p50 p99 rps errors
  requests=$(echo "$2" | awk '/requests in/ {print $1}')
  p50=$(echo "$2" | awk '$1=="50%" {print $2}')
  p99=$(echo "$2" | awk '$1=="99%" {print $2}')
  rps=$(echo "$2" | awk '/Requests\/sec/ {print $2}')
  errors=$(echo "$2" | awk '/Non-2xx/ {print $NF}')
  printf '%-28s requests=%-8s rps=%-10s p50=%-9s p99=%-9s non2xx=%s\n' "$1" "$requests" "$rps" "$p50" "$p99" "${errors:-0}"
}

run_wrk "http://127.0.0.1:$BENCH_SIM_PORT/mcp" 8 >/dev/null
run_wrk "$gateway/mcp/sim" 8 >/dev/null
for c in $concurrencies; do
  direct=$(run_wrk "http://127.0.0.1:$BENCH_SIM_PORT/mcp" "$c")
  summary "direct         c=$c" "$direct"
  for path in key agent; do
    before=$(cpu_ticks $gw_pid)
    if [ "$path" = agent ]; then
      out=$(run_wrk "$gateway/mcp/sim" "$c" "$agent_key" "bench-task-$c")
    else
      out=$(run_wrk "$gateway/mcp/sim" "$c")
    fi
    after=$(cpu_ticks $gw_pid)
    summary "gateway $path c=$c" "$out"
    requests=$(echo "$out" | awk '/requests in/ {print $1}')
    awk -v t=$((after - before)) -v hz="$ticks_per_second" -v n="$requests" \
      'BEGIN { printf "gateway cpu/request=%.1f us\n", (t / hz) * 1e6 / n }'
  done
  echo
done
