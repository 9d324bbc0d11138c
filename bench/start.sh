# Sourced by the benchmark scripts: builds keel in release mode and starts `keel simulate`
# (CPU 1) and `keel serve --config "${BENCH_CONFIG:-bench/keel-bench.yaml}"` (CPU 0) in a temporary directory,
# stopping both when the script exits. Sets keel, sim_pid, gw_pid and BENCH_DIR.
export BENCH_DIR=$(mktemp -d /tmp/keel-bench.XXXXXX)
export BENCH_GATEWAY_PORT=${BENCH_GATEWAY_PORT:-18080}
export BENCH_SIM_PORT=${BENCH_SIM_PORT:-19090}

# KEEL_BIN runs another build (for A/B comparisons) instead of building this checkout.
if [ -n "${KEEL_BIN:-}" ]; then
  keel=$KEEL_BIN
else
  swift build -c release --product keel >/dev/null
  keel=$(swift build -c release --show-bin-path)/keel
fi

# KEEL_SIM_BIN runs the simulator of another build, so A/B runs share one upstream.
taskset -c 1 "${KEEL_SIM_BIN:-$keel}" simulate --port "$BENCH_SIM_PORT" >"$BENCH_DIR/sim.log" 2>&1 &
sim_pid=$!
taskset -c 0 "$keel" serve --config "${BENCH_CONFIG:-bench/keel-bench.yaml}" --log-level warning >"$BENCH_DIR/gateway.log" 2>&1 &
gw_pid=$!
trap 'kill $gw_pid $sim_pid 2>/dev/null; wait 2>/dev/null; rm -rf "$BENCH_DIR"' EXIT
for _ in $(seq 100); do
  curl -sf "http://127.0.0.1:$BENCH_GATEWAY_PORT/healthz" >/dev/null 2>&1 \
    && curl -sf "http://127.0.0.1:$BENCH_SIM_PORT/_simulator/health" >/dev/null 2>&1 && break
  sleep 0.1
done
