"""Memory metrics: a container's working set over one of its lives, from where the cluster keeps it.

- ``MemoryMetrics``: the one-method protocol; ``NullMetrics`` when none is configured.
- ``prometheus``: a Prometheus-compatible HTTP API (in-cluster Prometheus, or Managed Service for
  Prometheus's frontend) with ``container_memory_working_set_bytes``, the figure the kubelet's OOM
  decisions follow.
- ``cloud_monitoring``: GKE's system metric ``kubernetes.io/container/memory/used_bytes`` through
  google-cloud-monitoring; the only importer of that SDK.

One bounded query per incident (``QUERY_TIMEOUT_SECONDS``). A provider that fails answers no data: a
missing trend only makes KubeSent more careful. May import the base only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

# One query, at most this long: a trend is worth a little latency, not a retry storm.
QUERY_TIMEOUT_SECONDS = 2.0
# One point a minute is enough to see a plateau or a climb over a life of minutes to hours.
STEP_SECONDS = 60
# Never ask for more points than this (a life of days at one a minute).
MAX_POINTS = 1440


@dataclass(frozen=True)
class Query:
    """Which container, over which life."""

    cluster: str
    namespace: str
    pod: str
    container: str
    start: datetime
    end: datetime

    def step_seconds(self) -> int:
        span = max((self.end - self.start).total_seconds(), 1.0)
        return max(STEP_SECONDS, int(span // MAX_POINTS) + 1)


class MemoryMetrics(Protocol):
    source: str

    def working_set(self, query: Query) -> list[tuple[float, float]]:
        """``(seconds since the epoch, bytes)`` oldest first; empty when there is no data or the query failed."""
        ...


class NullMetrics:
    source = "none"

    def working_set(self, query: Query) -> list[tuple[float, float]]:
        del query
        return []
