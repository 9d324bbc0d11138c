#!/usr/bin/env bash
# The CPU floor of a SwiftNIO HTTP/1.1 proxy and of nginx, measured like ../run.sh measures Keel.
#
#   bench/floor/run.sh [TARGET...]         targets: direct codec codec-onewrite raw nginx (default: all)
#   env: DURATION=10 WARMUP=3 REPS=2 CONCURRENCIES="1 32" PROXY_PORT=28080 SIM_PORT=29090
#        SIM_BIN=path of a keel binary (default: this checkout's release build)
#        PERF=1 (also perf-record the raw variant at c=32)
#
# Simulator and wrk on CPU 1, the proxy on CPU 0. Every CPU-heavy step takes /tmp/bench.lock
# (so that runs started meanwhile wait); one lock hold per (target, repetition).
# CPU/request = (utime+stime of the proxy process, /proc/PID/stat 14+15) / CLK_TCK / requests.
set -euo pipefail
cd "$(dirname "$0")"
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-3}
REPS=${REPS:-2}
CONCURRENCIES=${CONCURRENCIES:-1 32}
PROXY_PORT=${PROXY_PORT:-28080}
SIM_PORT=${SIM_PORT:-29090}
ROOT=$(cd ../.. && pwd)
if [ -z "${SIM_BIN:-}" ]; then
  (cd "$ROOT" && swift build -c release --product keel >/dev/null)
  SIM_BIN=$(cd "$ROOT" && swift build -c release --show-bin-path)/keel
fi
LUA=$ROOT/bench/chat.lua
TARGETS=${*:-direct codec codec-onewrite raw nginx}
HZ=$(getconf CLK_TCK)
OUT=${OUT:-/dev/null}
WORK=$(mktemp -d /tmp/floor-bench.XXXXXX)

flock /tmp/bench.lock swift build -c release --product floorproxy >/dev/null
BIN=$(swift build -c release --show-bin-path)/floorproxy

sim_pid=""
proxy_pid=""
cleanup() {
  [ -n "$proxy_pid" ] && kill "$proxy_pid" 2>/dev/null || true
  [ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

wait_port() { for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$1) 2>/dev/null && return 0; sleep 0.05; done; echo "port $1 not up" >&2; return 1; }
cpu_ticks() { local t=0; for p in "$@"; do t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat"))); done; echo $t; }

taskset -c 1 "$SIM_BIN" simulate --port "$SIM_PORT" >"$WORK/sim.log" 2>&1 &
sim_pid=$!
wait_port "$SIM_PORT"

check() { # url: one request must come back 200 with the simulator's JSON
  local code
  code=$(curl -s -o "$WORK/check.json" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
    -d '{"model":"keel-sim-chat","messages":[{"role":"user","content":"hi"}],"max_tokens":16}' "$1")
  if [ "$code" != 200 ] || ! grep -q '"object":"chat.completion"' "$WORK/check.json"; then
    echo "CHECK FAILED for $1: status $code: $(head -c 300 "$WORK/check.json")" >&2; return 1
  fi
}

nginx_conf() {
  mkdir -p "$WORK/nginx"
  cat >"$WORK/nginx/nginx.conf" <<NGX
daemon off;
master_process on;
worker_processes 1;
worker_cpu_affinity 01;
user root;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $WORK/nginx/body;
  proxy_temp_path $WORK/nginx/proxy;
  fastcgi_temp_path $WORK/nginx/fcgi;
  uwsgi_temp_path $WORK/nginx/uwsgi;
  scgi_temp_path $WORK/nginx/scgi;
  upstream sim { server 127.0.0.1:$SIM_PORT; keepalive 64; }
  server {
    listen 127.0.0.1:$PROXY_PORT;
    location / {
      proxy_pass http://sim;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
NGX
}

# Runs in one lock hold: start target, check, warm up + measure each concurrency, stop.
measure() { # target rep
  local target=$1 rep=$2 url pids
  if [ "$target" = direct ]; then
    url="http://127.0.0.1:$SIM_PORT/v1/chat/completions"; pids=$sim_pid
  else
    url="http://127.0.0.1:$PROXY_PORT/v1/chat/completions"
    if [ "$target" = nginx ]; then
      nginx_conf
      taskset -c 0 nginx -c "$WORK/nginx/nginx.conf" >"$WORK/nginx.log" 2>&1 9>&- &
    else
      taskset -c 0 "$BIN" --mode "$target" --port "$PROXY_PORT" --upstream-port "$SIM_PORT" >"$WORK/proxy.log" 2>&1 9>&- &
    fi
    proxy_pid=$!
    wait_port "$PROXY_PORT"
    pids=$proxy_pid
    if [ "$target" = nginx ]; then sleep 0.2; pids="$proxy_pid $(pgrep -P "$proxy_pid" | tr '\n' ' ')"; fi
  fi
  check "$url"
  for c in $CONCURRENCIES; do
    taskset -c 1 wrk -t "$c" -c "$c" -d "${WARMUP}s" -s "$LUA" "$url" >/dev/null
    local before after out
    before=$(cpu_ticks $pids)
    out=$(taskset -c 1 wrk -t "$c" -c "$c" -d "${DURATION}s" --latency -s "$LUA" "$url" 2>"$WORK/wrk.err")
    after=$(cpu_ticks $pids)
    echo "$out" >"$WORK/last-wrk.txt"
    local req rps p50 p99 non2xx errs
    req=$(echo "$out" | awk '/requests in/ {print $1}')
    rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
    p50=$(echo "$out" | awk '$1=="50%" {print $2}')
    p99=$(echo "$out" | awk '$1=="99%" {print $2}')
    non2xx=$(echo "$out" | awk '/Non-2xx/ {print $NF}')
    errs=$(echo "$out" | awk '/Socket errors/ {print $0}')
    awk -v tg="$target" -v rep="$rep" -v c="$c" -v t=$((after - before)) -v hz="$HZ" -v n="$req" \
        -v rps="$rps" -v p50="$p50" -v p99="$p99" -v bad="${non2xx:-0}" -v errs="$errs" \
      'BEGIN { printf "%-15s rep=%s c=%-3s cpu_us_per_req=%-7.1f req=%-8s rps=%-10s p50=%-9s p99=%-9s non2xx=%s %s\n", tg, rep, c, (t / hz) * 1e6 / n, n, rps, p50, p99, bad, errs }' \
      | tee -a "$OUT"
  done
  if [ "${PERF:-0}" = 1 ] && [ "$target" = raw ] && [ "$rep" = 1 ]; then
    taskset -c 1 wrk -t 32 -c 32 -d 12s -s "$LUA" "$url" >/dev/null &
    local wrk_pid=$!
    sleep 1
    perf record -g -o "${PERF_OUT:-/tmp/floor-perf-raw.data}" -p "$proxy_pid" -- sleep 8 >/dev/null 2>&1 || true
    wait "$wrk_pid"
  fi
  if [ -n "$proxy_pid" ]; then kill "$proxy_pid"; wait "$proxy_pid" 2>/dev/null || true; proxy_pid=""; fi
}

echo "# $(date -Is) duration=${DURATION}s warmup=${WARMUP}s sim=$SIM_BIN" | tee -a "$OUT"
for rep in $(seq "$REPS"); do
  for target in $TARGETS; do
    if [ "$target" = nginx ] && ! command -v nginx >/dev/null; then echo "nginx not installed, skipped"; continue; fi
    # One lock hold per (target, repetition), ~30 s.
    exec 9>/tmp/bench.lock
    flock 9
    measure "$target" "$rep"
    flock -u 9
    exec 9>&-
  done
done
