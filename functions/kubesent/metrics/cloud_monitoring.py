"""The container's memory from Cloud Monitoring's GKE system metrics, through google-cloud-monitoring.

``kubernetes.io/container/memory/used_bytes`` with ``memory_type = non-evictable`` follows the working
set. One ``list_time_series`` call (gRPC, the SDK's only transport), bounded by ``QUERY_TIMEOUT_SECONDS``,
the client built lazily once per instance; the only importer of ``google.cloud.monitoring``. Never
raises: no answer is no data. ``http://HOST:PORT`` as the endpoint means plain gRPC to a local fake.
"""

from __future__ import annotations

import threading
from typing import Any

from kubesent.metrics import QUERY_TIMEOUT_SECONDS, Query

METRIC = "kubernetes.io/container/memory/used_bytes"


class CloudMonitoringMetrics:
    source = "cloud_monitoring"

    def __init__(self, project: str, *, client: Any = None, api_endpoint: str = "",
                 timeout_seconds: float = QUERY_TIMEOUT_SECONDS) -> None:
        self.project = project
        self.api_endpoint = api_endpoint
        self.timeout_seconds = timeout_seconds
        self._client = client
        self._lock = threading.Lock()

    def _metric_client(self) -> Any:
        with self._lock:
            if self._client is None:
                from google.cloud import monitoring_v3

                if self.api_endpoint.startswith("http://"):  # a local fake: plain gRPC, no credentials
                    import grpc
                    from google.cloud.monitoring_v3.services.metric_service.transports import (
                        MetricServiceGrpcTransport,
                    )

                    channel = grpc.insecure_channel(self.api_endpoint.removeprefix("http://"))
                    self._client = monitoring_v3.MetricServiceClient(
                        transport=MetricServiceGrpcTransport(channel=channel))
                elif self.api_endpoint:  # a proxy or a regional endpoint
                    self._client = monitoring_v3.MetricServiceClient(client_options={"api_endpoint": self.api_endpoint})
                else:
                    self._client = monitoring_v3.MetricServiceClient()
            return self._client

    def working_set(self, query: Query) -> list[tuple[float, float]]:
        from google.api_core import exceptions
        from google.cloud import monitoring_v3

        names = {"namespace_name": query.namespace, "pod_name": query.pod, "container_name": query.container}
        if query.cluster:
            names["cluster_name"] = query.cluster
        resource = " AND ".join(f'resource.labels.{key} = "{_quote(value)}"' for key, value in names.items())
        interval = monitoring_v3.TimeInterval(start_time=query.start, end_time=query.end)
        try:
            pager = self._metric_client().list_time_series(
                name=f"projects/{self.project}", interval=interval,
                filter=f'metric.type = "{METRIC}" AND metric.labels.memory_type = "non-evictable" AND {resource}',
                view=monitoring_v3.ListTimeSeriesRequest.TimeSeriesView.FULL, timeout=self.timeout_seconds,
                retry=None)
            series = next(iter(pager), None)
        except (exceptions.GoogleAPIError, OSError, ValueError):
            return []
        if series is None:
            return []
        return sorted((point.interval.end_time.timestamp(), float(point.value.int64_value or point.value.double_value))
                      for point in series.points)


def _quote(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')
