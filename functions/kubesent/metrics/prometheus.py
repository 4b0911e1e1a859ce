"""The container's working set from a Prometheus-compatible HTTP API (``/api/v1/query_range``).

cAdvisor's ``container_memory_working_set_bytes`` is what the kubelet compares with the limit. Plain
HTTP through the standard library: one GET, bounded by ``QUERY_TIMEOUT_SECONDS``. Label values are
escaped, since pod and container names come from the cluster. Never raises: no answer is no data.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request

from kubesent.metrics import QUERY_TIMEOUT_SECONDS, Query

METRIC = "container_memory_working_set_bytes"
# A Prometheus answer larger than this is not one query's series.
MAX_RESPONSE_BYTES = 4 * 2**20


class PrometheusMetrics:
    source = "prometheus"

    def __init__(self, base_url: str, *, bearer_token: str = "", timeout_seconds: float = QUERY_TIMEOUT_SECONDS,
                 cluster_label: str = "") -> None:
        self.base_url = base_url.rstrip("/")
        self.bearer_token = bearer_token
        self.timeout_seconds = timeout_seconds
        self.cluster_label = cluster_label

    def working_set(self, query: Query) -> list[tuple[float, float]]:
        selector = {"namespace": query.namespace, "pod": query.pod, "container": query.container}
        if self.cluster_label and query.cluster:
            selector[self.cluster_label] = query.cluster
        labels = ",".join(f'{name}="{_escape(value)}"' for name, value in selector.items())
        params = urllib.parse.urlencode({"query": f"max({METRIC}{{{labels}}})",
                                         "start": f"{query.start.timestamp():.3f}",
                                         "end": f"{query.end.timestamp():.3f}", "step": str(query.step_seconds())})
        request = urllib.request.Request(f"{self.base_url}/api/v1/query_range?{params}")
        if self.bearer_token:
            request.add_header("Authorization", f"Bearer {self.bearer_token}")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_seconds) as response:
                body = json.loads(response.read(MAX_RESPONSE_BYTES))
        except (OSError, ValueError, urllib.error.URLError):
            return []
        return _points(body)


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _points(body: object) -> list[tuple[float, float]]:
    if not isinstance(body, dict) or body.get("status") != "success":
        return []
    results = (body.get("data") or {}).get("result") or []
    points: list[tuple[float, float]] = []
    for series in results[:1] if isinstance(results, list) else []:
        for pair in series.get("values") or [] if isinstance(series, dict) else []:
            try:
                points.append((float(pair[0]), float(pair[1])))
            except (TypeError, ValueError, IndexError):
                continue
    return sorted(points)
