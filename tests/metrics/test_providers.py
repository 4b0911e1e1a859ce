"""Both memory-metrics providers, real clients against local fakes that speak the real APIs."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import grpc
import pytest

from kubesent import events
from kubesent.cluster.memory import MemoryCluster
from kubesent.diagnosis.base import NullDiagnoser
from kubesent.evidence import trend
from kubesent.ledger.memory import MemoryLedger
from kubesent.metrics import Query
from kubesent.metrics.cloud_monitoring import CloudMonitoringMetrics
from kubesent.metrics.prometheus import PrometheusMetrics
from kubesent.pipeline import Pipeline
from kubesent.settings import Settings
from kubesent.wiring import ledger_settings
from tests.fakes.fake_metrics import FakeCloudMonitoring, FakePrometheus
from tests.security.attack import bundle_of, obj

START = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
QUERY = Query(cluster="prod-eu", namespace="shop", pod="cart-7c9d-x2x", container="cart", start=START,
              end=START + timedelta(minutes=45))
MI = 2**20
CLIMB = [(START.timestamp() + 60 * i, (100 + 10 * i) * MI) for i in range(45)]


@pytest.fixture()
def prometheus() -> Iterator[FakePrometheus]:
    with FakePrometheus() as server:
        yield server


@pytest.fixture()
def monitoring() -> Iterator[FakeCloudMonitoring]:
    with FakeCloudMonitoring() as server:
        yield server


def test_prometheus_asks_for_the_containers_working_set_over_its_life(prometheus):
    prometheus.series = CLIMB
    provider = PrometheusMetrics(prometheus.url, cluster_label="cluster")

    points = provider.working_set(QUERY)

    assert points == CLIMB
    path, params = prometheus.requests[0]
    assert path == "/api/v1/query_range" and params["step"] == ["60"]
    assert params["query"] == ['max(container_memory_working_set_bytes{namespace="shop",pod="cart-7c9d-x2x",'
                               'container="cart",cluster="prod-eu"})']
    assert float(params["start"][0]) == START.timestamp()


def test_a_climb_read_from_prometheus_classifies_as_a_leak(prometheus):
    prometheus.series = CLIMB

    shape = trend.classify(PrometheusMetrics(prometheus.url).working_set(QUERY), source="prometheus")

    assert shape is not None and shape.kind is trend.TrendKind.LEAK


def test_label_values_cannot_break_out_of_the_selector(prometheus):
    hostile = Query(cluster="", namespace="shop", pod='x"} or vector(1) or {a="', container="c", start=START,
                    end=START + timedelta(minutes=5))

    PrometheusMetrics(prometheus.url).working_set(hostile)

    assert '\\"} or vector(1)' in prometheus.requests[0][1]["query"][0]


@pytest.mark.parametrize("fault", ["slow", "error", "down"])
def test_a_prometheus_that_fails_answers_no_data_within_its_bound(prometheus, fault):
    prometheus.series = CLIMB
    url = prometheus.url
    if fault == "slow":
        prometheus.delay_seconds = 1.0
    elif fault == "error":
        prometheus.status = 503
    else:
        prometheus.stop()

    assert PrometheusMetrics(url, timeout_seconds=0.3).working_set(QUERY) == []


def test_cloud_monitoring_reads_the_gke_system_metric_through_the_sdk(monitoring):
    monitoring.series = CLIMB
    provider = CloudMonitoringMetrics("acme-prod", api_endpoint=monitoring.url)

    points = provider.working_set(QUERY)

    assert points == CLIMB
    request = monitoring.requests[0]
    assert request.name == "projects/acme-prod"
    assert 'metric.type = "kubernetes.io/container/memory/used_bytes"' in request.filter
    assert 'resource.labels.pod_name = "cart-7c9d-x2x"' in request.filter
    assert 'resource.labels.cluster_name = "prod-eu"' in request.filter
    assert request.interval.start_time == START


def test_cloud_monitoring_with_no_series_or_a_failure_is_no_data(monitoring):
    provider = CloudMonitoringMetrics("acme-prod", api_endpoint=monitoring.url, timeout_seconds=0.5)
    assert provider.working_set(QUERY) == []

    monitoring.fail_with = grpc.StatusCode.UNAVAILABLE
    monitoring.series = CLIMB
    assert provider.working_set(QUERY) == []


def _oom_bundle_with_metrics(prometheus: FakePrometheus, values_mi: list[float]):
    bundle = bundle_of("oom-memory-hog")
    last = obj(bundle, "Pod")["status"]["containerStatuses"][0]["lastState"]["terminated"]
    started = datetime.fromisoformat(last["startedAt"].replace("Z", "+00:00"))
    prometheus.series = [(started.timestamp() + i, v * MI) for i, v in enumerate(values_mi)]
    settings = Settings(llm="none", ledger="memory", dry_run=True)
    pipeline = Pipeline(settings, cluster=MemoryCluster(bundle["objects"], logs=bundle["logs"]),
                        ledger=MemoryLedger(ledger_settings(settings)), diagnoser=NullDiagnoser(),
                        memory_metrics=PrometheusMetrics(prometheus.url))
    event = events.parse_event(bundle["event"])
    return pipeline.handle(event, now=event.occurred_at)


def test_a_leaking_trend_turns_a_start_up_kill_into_a_proposal_with_its_slope(prometheus):
    record = _oom_bundle_with_metrics(prometheus, [1 + i for i in range(10)])

    assert record.action == "proposed" and "leak" in record.reason
    assert any(line.startswith("memory trend: leak") for line in record.evidence)


def test_a_plateau_trend_backs_the_raise(prometheus):
    record = _oom_bundle_with_metrics(prometheus, [9, 10, 10, 10, 10, 10, 10, 10])

    assert record.action == "dry_run" and any("undersized" in line for line in record.evidence)
