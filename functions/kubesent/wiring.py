"""Builds the pipeline's parts from settings. SDK-backed parts are imported here only when chosen.

Called once per instance by ``main`` and once per run by ``replay``.
"""

from __future__ import annotations

from kubesent import ledger as ledger_module
from kubesent.cluster.api import Cluster
from kubesent.diagnosis.base import Diagnoser, NullDiagnoser
from kubesent.ledger import Ledger
from kubesent.metrics import MemoryMetrics, NullMetrics
from kubesent.reporting import NullReporter, TopicReporter
from kubesent.settings import Settings


def ledger_settings(settings: Settings) -> ledger_module.Settings:
    return ledger_module.Settings(
        lease_seconds=settings.claim_lease_seconds, cooldown_seconds=settings.cooldown_seconds,
        recurrence_window_seconds=settings.recurrence_window_seconds,
        breaker_namespace_workloads=settings.breaker_namespace_workloads,
        breaker_cluster_namespaces=settings.breaker_cluster_namespaces,
        breaker_window_seconds=settings.breaker_window_seconds, ttl_days=settings.ledger_ttl_days)


def build_ledger(settings: Settings, *, kind: str | None = None) -> Ledger:
    if (kind or settings.ledger) == "firestore":
        from kubesent.ledger.firestore import FirestoreLedger

        return FirestoreLedger(ledger_settings(settings), project=settings.gcp_project,
                               database=settings.firestore_database, collection=settings.firestore_collection)
    from kubesent.ledger.memory import MemoryLedger

    return MemoryLedger(ledger_settings(settings))


def build_diagnoser(settings: Settings) -> Diagnoser:
    if settings.llm == "gemini":
        from kubesent.diagnosis.llm import GeminiDiagnoser

        return GeminiDiagnoser(settings)
    return NullDiagnoser()


def build_reporter(settings: Settings) -> TopicReporter | NullReporter:
    return TopicReporter(settings.report_topic) if settings.report_topic else NullReporter()


def build_metrics(settings: Settings) -> MemoryMetrics:
    """The configured memory-metrics provider; each is imported only when chosen."""
    if settings.memory_metrics == "prometheus":
        from kubesent.metrics.prometheus import PrometheusMetrics

        return PrometheusMetrics(settings.prometheus_url, cluster_label=settings.prometheus_cluster_label)
    if settings.memory_metrics == "cloud_monitoring":
        from kubesent.metrics.cloud_monitoring import CloudMonitoringMetrics

        # projects/P/locations/L/clusters/C: the cluster's own project keeps its system metrics.
        cluster_project = settings.gke_cluster.split("/")[1] if settings.gke_cluster.count("/") >= 1 else ""
        return CloudMonitoringMetrics(settings.monitoring_project or cluster_project,
                                      api_endpoint=settings.monitoring_endpoint)
    return NullMetrics()


def build_cluster(settings: Settings) -> Cluster:
    from kubesent.cluster.kube import KubeCluster

    return KubeCluster.from_settings(settings)
