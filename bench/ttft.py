#!/usr/bin/env python3
"""Time to first token through the gateway vs. straight to the simulator.

Sends N sequential streaming chat requests on one keep-alive connection to each target and
records the time from sending the request to receiving the first SSE event that carries content.
Prints p50/p90/p99 for both and the added time. Standard library only.

Usage: bench/ttft.py GATEWAY_PORT SIMULATOR_PORT [N] [KEY]
"""
import http.client
import json
import statistics
import sys
import time

BODY = json.dumps({
    "model": "keel-sim-chat",
    "stream": True,
    "max_tokens": 16,
    "messages": [{"role": "user", "content": "Summarise the benefits of a gateway, briefly."}],
})


def first_token_times(port, n, key):
    connection = http.client.HTTPConnection("127.0.0.1", port)
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {key}"}
    times = []
    for _ in range(n):
        start = time.perf_counter()
        connection.request("POST", "/v1/chat/completions", BODY, headers)
        response = connection.getresponse()
        first = None
        while True:
            line = response.readline()  # decodes chunked transfer encoding
            if not line:
                break
            if first is None and line.startswith(b"data:") and b'"content":"' in line and b'"content":""' not in line:
                first = time.perf_counter() - start
        response.read()
        times.append(first)
    return [t for t in times if t is not None]


def percentiles(values):
    ordered = sorted(values)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]
    return pick(0.5) * 1000, pick(0.9) * 1000, pick(0.99) * 1000


def main():
    gateway, simulator = int(sys.argv[1]), int(sys.argv[2])
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 2000
    key = sys.argv[4] if len(sys.argv) > 4 else "sk-bench-key-0123456789"
    first_token_times(gateway, 200, key)  # warm-up
    first_token_times(simulator, 200, key)
    direct = first_token_times(simulator, n, key)
    through = first_token_times(gateway, n, key)
    d, g = percentiles(direct), percentiles(through)
    print(f"ttft direct   p50={d[0]:.3f}ms p90={d[1]:.3f}ms p99={d[2]:.3f}ms (n={len(direct)})")
    print(f"ttft gateway  p50={g[0]:.3f}ms p90={g[1]:.3f}ms p99={g[2]:.3f}ms (n={len(through)})")
    print(f"ttft added    p50={g[0] - d[0]:.3f}ms p99={g[2] - d[2]:.3f}ms")


if __name__ == "__main__":
    main()
