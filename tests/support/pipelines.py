"""Pipelines wired to a running Kubernetes API sandbox through the real ``kubernetes`` client.

Used by the ``make_pipeline`` fixture in ``tests/conftest.py``; tests import ``PipelineFactory`` for annotations.
"""

from __future__ import annotations

from typing import Any

from kubesent.cluster.kube import KubeCluster, build_api_client
from kubesent.diagnosis.base import Diagnoser, NullDiagnoser
from kubesent.ledger.memory import MemoryLedger
from kubesent.pipeline import Pipeline
from kubesent.settings import Settings
from kubesent.wiring import ledger_settings
from local_emulator.kube_sandbox import KubeSandbox


class PipelineFactory:
    """Builds pipelines against one sandbox; closes their clients at the end of the test."""

    def __init__(self, sandbox: KubeSandbox) -> None:
        self.sandbox = sandbox
        self.clusters: list[KubeCluster] = []

    def settings(self, **overrides: Any) -> Settings:
        values: dict[str, Any] = {"kube_mode": "explicit", "kube_host": self.sandbox.url, "ledger": "memory",
                                  "llm": "none", "kube_timeout_seconds": 2.0, **overrides}
        return Settings(**values)

    def __call__(self, *, diagnoser: Diagnoser | None = None, ledger: Any = None, fast_path: Any = None,
                 **overrides: Any) -> Pipeline:
        settings = self.settings(**overrides)
        cluster = KubeCluster(build_api_client(settings), timeout_seconds=settings.kube_timeout_seconds)
        self.clusters.append(cluster)
        return Pipeline(settings, cluster=cluster, ledger=ledger or MemoryLedger(ledger_settings(settings)),
                        diagnoser=diagnoser or NullDiagnoser(), fast_path=fast_path)

    def close(self) -> None:
        for cluster in self.clusters:
            cluster.close()
