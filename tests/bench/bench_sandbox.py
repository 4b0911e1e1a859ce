"""Benchmark: sequential GETs against the Kubernetes API sandbox over one keep-alive connection.

Run: `PYTHONPATH=. .venv/bin/python tests/bench/bench_sandbox.py`. Prints figures; asserts nothing
about time (benchmarks are separate from tests).
"""
from __future__ import annotations

import http.client
import statistics
import time
import urllib.parse

import kubernetes.client

from local_emulator.kube_sandbox import KubeSandbox

REQUESTS = 1000  # the figure the sandbox's brief asks for: 1,000 GETs well under 2 s
ROUNDS = 3  # repeat to show the spread


def _raw_round(url: str) -> float:
    parsed = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=10)
    try:
        started = time.perf_counter()
        for _ in range(REQUESTS):
            connection.request("GET", "/api/v1/namespaces/default/pods/bench")
            response = connection.getresponse()
            response.read()
            assert response.status == 200
        return time.perf_counter() - started
    finally:
        connection.close()


def _client_round(url: str) -> float:
    configuration = kubernetes.client.Configuration()
    configuration.host = url
    api_client = kubernetes.client.ApiClient(configuration)
    core = kubernetes.client.CoreV1Api(api_client)
    try:
        started = time.perf_counter()
        for _ in range(REQUESTS):
            core.read_namespaced_pod("bench", "default")
        return time.perf_counter() - started
    finally:
        api_client.rest_client.pool_manager.clear()
        api_client.close()


def main() -> None:
    with KubeSandbox() as sandbox:
        sandbox.load_objects([{"apiVersion": "v1", "kind": "Pod",
                               "metadata": {"name": "bench", "namespace": "default"},
                               "spec": {"containers": [{"name": "app", "image": "app:1"}]},
                               "status": {"phase": "Running"}}])
        raw = [_raw_round(sandbox.url) for _ in range(ROUNDS)]
        client = [_client_round(sandbox.url) for _ in range(ROUNDS)]
    print(f"{REQUESTS} sequential GETs, one keep-alive connection (http.client): "
          f"median {statistics.median(raw):.3f} s, runs {', '.join(f'{value:.3f}' for value in raw)}")
    print(f"{REQUESTS} sequential GETs via kubernetes.client CoreV1Api.read_namespaced_pod: "
          f"median {statistics.median(client):.3f} s, runs {', '.join(f'{value:.3f}' for value in client)}")


if __name__ == "__main__":
    main()
