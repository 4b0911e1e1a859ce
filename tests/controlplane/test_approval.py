"""A person's approval end to end on a real API server, written as the approval endpoint's own identity.

The pipeline (the function's identity) proposes; ``approval.Approver`` over the approver's own client
re-reads, re-checks and writes through its RBAC and its admission policy (kubesent-approve-scope).
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import kubernetes.client
import pytest

from kubesent import events, tokens
from kubesent.approval import Approver
from kubesent.cluster.kube import KubeCluster
from kubesent.diagnosis.base import NullDiagnoser
from kubesent.ledger.memory import MemoryLedger
from kubesent.pipeline import Pipeline
from kubesent.settings import Settings
from kubesent.wiring import ledger_settings
from kubesent.write import APPROVED_BY
from tests.controlplane import support
from tests.controlplane.test_pipeline import NAMESPACE, _deployment, _oom_killed

KEY = b"approval-key-for-the-control-plane-0123456789"


def _settings(**values: Any) -> Settings:
    return Settings(**{"dry_run": False, "llm": "none", "ledger": "memory", "namespaces_allow": (NAMESPACE,),
                       **values})


@pytest.fixture()
def name(admin_client: kubernetes.client.ApiClient) -> Iterator[str]:
    chosen = support.unique("approved-hog")
    yield chosen
    kubernetes.client.AppsV1Api(admin_client).delete_namespaced_deployment(chosen, NAMESPACE)


def _propose(kubesent: kubernetes.client.ApiClient, payload: dict[str, Any], ledger: MemoryLedger) -> Any:
    """The function's identity, with the raise left out of the auto-apply list: a proposal."""
    settings = _settings(auto_apply_remedies="fix_probe")
    record = Pipeline(settings, cluster=KubeCluster(kubesent), ledger=ledger,
                      diagnoser=NullDiagnoser()).handle(events.parse_event(payload))
    assert record.action == "proposed" and record.patch, record.reason
    return record


def test_an_approval_writes_as_the_approvers_identity(
        admin_client: kubernetes.client.ApiClient, kubesent_client: kubernetes.client.ApiClient,
        approver_client: kubernetes.client.ApiClient, name: str) -> None:
    payload = _oom_killed(admin_client, name, "64Mi")
    settings = _settings()
    ledger = MemoryLedger(ledger_settings(settings))
    record = _propose(kubesent_client, payload, ledger)
    approver = Approver(settings, cluster=KubeCluster(approver_client), ledger=ledger, key=KEY)
    link = tokens.mint(KEY, incident_id=record.incident_id or "", decision="approve", expires_at=2**40)

    answer = approver.decide(link, approver="ana@example.com")

    after = _deployment(admin_client, name)
    assert answer.status == 200 and answer.title == "Applied", answer.detail
    assert after["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["memory"] == "164Mi"
    assert after["metadata"]["annotations"][APPROVED_BY] == "ana@example.com"
