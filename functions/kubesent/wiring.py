"""Builds the pipeline's parts from settings. SDK-backed parts are imported here only when chosen.

Called once per instance by ``main`` and once per run by ``replay``.
"""

from __future__ import annotations

from kubesent import ledger as ledger_module
from kubesent.cluster.api import Cluster
from kubesent.diagnosis.base import Diagnoser, NullDiagnoser
from kubesent.ledger import Ledger
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


def build_cluster(settings: Settings) -> Cluster:
    from kubesent.cluster.kube import KubeCluster

    return KubeCluster.from_settings(settings)
