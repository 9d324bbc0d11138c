#!/usr/bin/env python3
"""Time from a provider outage to traffic on the fallback, and what the clients saw meanwhile.

Starts two `keel simulate` upstreams (primary, fallback) and `keel serve` in front of them with
one model whose routes are [primary, fallback] (priority strategy, breaker allowed_failures 3,
cooldown 30 s), sends steady chat traffic from WORKERS keep-alive connections (each sends a
request, waits PAUSE_MS, sends the next), and OUTAGE_AT seconds in switches the primary to 100 %
HTTP 500 through the simulator's POST /_simulator/script. It then reports, from the responses:

- first fallback answer: when the first response served by the fallback arrived (after t0);
- breaker open: when the first request went straight to the fallback (x-keel-attempts: 1);
- failed client requests (status other than 200) after t0, and in total;
- the requests that paid for the failover (attempts > 1): how many, their latency;
- latency before the outage and after the breaker opened.

Usage: bench/outage.py [--retries N] [--workers N] [--pause-ms MS] [--outage-at S] [--after S]
KEEL_BIN picks the binary (default: .build/release/keel). Standard library only.
"""
import argparse
import http.client
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

KEY = "sk-bench-key-0123456789"
BODY = json.dumps({
    "model": "outage",
    "max_tokens": 16,
    "messages": [{"role": "user", "content": "Summarise the benefits of a gateway, briefly."}],
})


def config(directory, gateway, primary, fallback, retries):
    return f"""
server: {{ host: 127.0.0.1, port: {gateway}, threads: 1 }}
storage: {{ url: "sqlite://{directory}/keel.sqlite" }}
admin_key: "sk-bench-admin-0123456789abcdef"
providers:
  - {{ name: primary, kind: openai, base_url: "http://127.0.0.1:{primary}/v1", api_key: "sk-upstream-bench" }}
  - {{ name: fallback, kind: openai, base_url: "http://127.0.0.1:{fallback}/v1", api_key: "sk-upstream-bench" }}
router: {{ max_retries: {retries}, backoff_ms: 100, max_backoff_ms: 2000 }}
models:
  - name: outage
    routes: [ {{ provider: primary, model: keel-sim-chat }}, {{ provider: fallback, model: keel-sim-chat }} ]
    breaker: {{ allowed_failures: 3, cooldown_ms: 30000 }}
keys:
  - {{ key: "{KEY}", team: bench }}
"""


def wait_healthy(port, path, deadline=30):
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            connection.request("GET", path)
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    sys.exit(f"nothing healthy on port {port}{path}")


def worker(port, stop, pause, results, lock):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {KEY}"}
    while not stop.is_set():
        sent = time.monotonic()
        try:
            connection.request("POST", "/v1/chat/completions", BODY, headers)
            response = connection.getresponse()
            response.read()
            entry = (sent, time.monotonic(), response.status, response.getheader("x-keel-provider"),
                     int(response.getheader("x-keel-attempts") or 0))
        except (OSError, http.client.HTTPException) as error:
            entry = (sent, time.monotonic(), f"transport: {error}", None, 0)
            connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        with lock:
            results.append(entry)
        time.sleep(pause)


def percentile(values, p):
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--retries", type=int, default=2, help="router.max_retries (default 2)")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--pause-ms", type=float, default=10)
    parser.add_argument("--outage-at", type=float, default=3.0)
    parser.add_argument("--after", type=float, default=4.0, help="seconds of traffic after the outage")
    parser.add_argument("--gateway-port", type=int, default=int(os.environ.get("BENCH_GATEWAY_PORT", 18180)))
    parser.add_argument("--primary-port", type=int, default=int(os.environ.get("BENCH_SIM_PORT", 19190)))
    arguments = parser.parse_args()
    keel = os.environ.get("KEEL_BIN", ".build/release/keel")
    gateway, primary, fallback = arguments.gateway_port, arguments.primary_port, arguments.primary_port + 1

    directory = tempfile.mkdtemp(prefix="keel-outage.")
    processes = []
    try:
        with open(f"{directory}/keel.yaml", "w") as file:
            file.write(config(directory, gateway, primary, fallback, arguments.retries))
        logs = open(f"{directory}/processes.log", "w")
        for port in (primary, fallback):
            processes.append(subprocess.Popen([keel, "simulate", "--port", str(port)], stdout=logs, stderr=logs))
        processes.append(subprocess.Popen(
            [keel, "serve", "--config", f"{directory}/keel.yaml", "--log-level", "error"], stdout=logs, stderr=logs))
        for port in (primary, fallback):
            wait_healthy(port, "/_simulator/health")
        wait_healthy(gateway, "/healthz")

        results, lock, stop = [], threading.Lock(), threading.Event()
        threads = [threading.Thread(target=worker, args=(gateway, stop, arguments.pause_ms / 1000, results, lock))
                   for _ in range(arguments.workers)]
        for thread in threads:
            thread.start()
        time.sleep(arguments.outage_at)
        script = http.client.HTTPConnection("127.0.0.1", primary, timeout=5)
        script.request("POST", "/_simulator/script", json.dumps({"directives": "status=500", "count": 10000000}),
                       {"Content-Type": "application/json"})
        t0 = time.monotonic()
        assert script.getresponse().status == 200
        time.sleep(arguments.after)
        stop.set()
        for thread in threads:
            thread.join()
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait()
        shutil.rmtree(directory, ignore_errors=True)

    before = [r for r in results if r[1] < t0]
    after = [r for r in results if r[1] >= t0]
    ms = lambda seconds: seconds * 1000
    first_fallback = min((r[1] for r in after if r[3] == "fallback"), default=None)
    direct = [r for r in after if r[0] >= t0 and r[3] == "fallback" and r[4] == 1]
    breaker_open = min((r[0] for r in direct), default=None)
    failed_after = [r for r in after if r[2] != 200]
    failovers = [r for r in after if r[4] > 1]
    settled = [r for r in after if breaker_open is not None and r[0] >= breaker_open]
    print(f"binary {keel}, router.max_retries {arguments.retries} (backoff 100 ms), breaker allowed_failures 3, "
          f"{arguments.workers} workers, {arguments.pause_ms:g} ms pause")
    print(f"requests: {len(results)} ({len(before)} before the outage, {len(after)} after)")
    print(f"latency before the outage: p50 {ms(percentile([r[1] - r[0] for r in before], 50)):.2f} ms, "
          f"p99 {ms(percentile([r[1] - r[0] for r in before], 99)):.2f} ms")
    print(f"first answer from the fallback: {ms(first_fallback - t0):.1f} ms after the outage" if first_fallback
          else "no answer from the fallback")
    print(f"breaker open (first request sent straight to the fallback): {ms(breaker_open - t0):.1f} ms after the outage"
          if breaker_open else "breaker never opened")
    print(f"answered by the primary after the outage (in flight at t0): {sum(1 for r in after if r[3] == 'primary')}")
    print(f"failed client requests after the outage: {len(failed_after)}; in total: {sum(1 for r in results if r[2] != 200)}"
          + (f" (statuses {sorted(set(str(r[2]) for r in failed_after))})" if failed_after else ""))
    print(f"requests that failed over (attempts > 1): {len(failovers)}, latency p50 "
          f"{ms(percentile([r[1] - r[0] for r in failovers], 50)):.1f} ms, max {ms(max((r[1] - r[0] for r in failovers), default=0)):.1f} ms")
    print(f"latency once the breaker is open: p50 {ms(percentile([r[1] - r[0] for r in settled], 50)):.2f} ms, "
          f"p99 {ms(percentile([r[1] - r[0] for r in settled], 99)):.2f} ms")


if __name__ == "__main__":
    main()
