"""A person's approval end to end on a real API server, written as the approval endpoint's own identity.

The pipeline (the function's identity) proposes; ``approval.Approver`` over the approver's own client
re-reads, re-checks and writes through its RBAC and its admission policy (kubesent-approve-scope).
"""
from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
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
from local_emulator import exporter_event
from local_emulator.controlplane.clients import wait_until
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


GOOD, TYPO = "registry.example/app:1.0", "registry.example/app:1.0-typo"


def _bad_rollout(admin: kubernetes.client.ApiClient, name: str, *, env: str | None = None) -> dict[str, Any]:
    """Revision 1 serves (the test plays the kubelet: its pod Ready); revision 2 changes the image tag to one that
    does not exist (and ``env`` if given), and its pod cannot pull. Returns the exporter's event for that pod."""
    apps, core = kubernetes.client.AppsV1Api(admin), kubernetes.client.CoreV1Api(admin)
    apps.create_namespaced_deployment(NAMESPACE, support.deployment(name, replicas=1))
    [first] = wait_until("revision 1's pod", lambda: core.list_namespaced_pod(NAMESPACE, label_selector=f"app={name}")
                         .items)
    _report(admin, admin.sanitize_for_serialization(first), ready=True)
    wait_until("revision 1 available", lambda: (_deployment(admin, name).get("status") or {})
               .get("availableReplicas") == 1)
    change: dict[str, Any] = {"name": "app", "image": TYPO}
    if env is not None:
        change["env"] = [{"name": "MODE", "value": env}]
    apps.patch_namespaced_deployment(name, NAMESPACE, {"spec": {"template": {"spec": {"containers": [change]}}}})
    [second] = wait_until("revision 2's pod", lambda: [
        p for p in core.list_namespaced_pod(NAMESPACE, label_selector=f"app={name}").items
        if p.spec.containers[0].image == TYPO])
    pod = _report(admin, admin.sanitize_for_serialization(second), ready=False)
    message = f'Failed to pull image "{TYPO}": rpc error: code = NotFound desc = failed to pull and unpack image ' \
              f'"{TYPO}": failed to resolve reference "{TYPO}": {TYPO}: not found'
    event = exporter_event.kubelet_event(pod, reason="Failed", container="app", message=message)
    stored = admin.sanitize_for_serialization(core.create_namespaced_event(NAMESPACE, event))
    return exporter_event.enhanced(stored, pod)


def _report(admin: kubernetes.client.ApiClient, pod: dict[str, Any], *, ready: bool) -> dict[str, Any]:
    stamp = exporter_event.utc_stamp(datetime.now(UTC).replace(microsecond=0))
    image = pod["spec"]["containers"][0]["image"]
    state = {"running": {"startedAt": stamp}} if ready else {
        "waiting": {"reason": "ImagePullBackOff", "message": f'Back-off pulling image "{image}"'}}
    pod["status"] = {"phase": "Running" if ready else "Pending", "startTime": stamp,
                     "conditions": [{"type": "Ready", "status": "True" if ready else "False",
                                     "lastTransitionTime": stamp}],
                     "containerStatuses": [{"name": "app", "ready": ready, "restartCount": 0, "image": image,
                                            "imageID": "", "state": state}]}
    core = kubernetes.client.CoreV1Api(admin)
    return admin.sanitize_for_serialization(  # type: ignore[no-any-return]
        core.replace_namespaced_pod_status(pod["metadata"]["name"], NAMESPACE, pod))


def _approve_rollback(kubesent: kubernetes.client.ApiClient, approver_client: kubernetes.client.ApiClient,
                      payload: dict[str, Any]) -> Any:
    settings = _settings()
    ledger = MemoryLedger(ledger_settings(settings))
    record = Pipeline(settings, cluster=KubeCluster(kubesent), ledger=ledger,
                      diagnoser=NullDiagnoser()).handle(events.parse_event(payload))
    assert record.action == "proposed" and record.remedy == "rollback_rollout", record.reason
    approver = Approver(settings, cluster=KubeCluster(approver_client), ledger=ledger, key=KEY)
    link = tokens.mint(KEY, incident_id=record.incident_id or "", decision="approve", expires_at=2**40)
    return approver.decide(link, approver="ana@example.com")


def test_an_approved_rollback_of_a_bad_tag_is_written_as_the_approver(
        admin_client: kubernetes.client.ApiClient, kubesent_client: kubernetes.client.ApiClient,
        approver_client: kubernetes.client.ApiClient, name: str) -> None:
    answer = _approve_rollback(kubesent_client, approver_client, _bad_rollout(admin_client, name))

    after = _deployment(admin_client, name)
    assert answer.status == 200 and answer.title == "Applied", answer.detail
    assert after["spec"]["template"]["spec"]["containers"][0]["image"] == GOOD
    assert after["spec"]["template"]["spec"]["containers"][0]["env"] == support.CONTAINER["env"]
    assert after["metadata"]["annotations"][APPROVED_BY] == "ana@example.com"


def test_a_rollback_that_would_change_more_than_the_image_is_refused_by_admission(
        admin_client: kubernetes.client.ApiClient, kubesent_client: kubernetes.client.ApiClient,
        approver_client: kubernetes.client.ApiClient, name: str) -> None:
    answer = _approve_rollback(kubesent_client, approver_client, _bad_rollout(admin_client, name, env="debug"))

    after = _deployment(admin_client, name)
    assert answer.status == 409 and "kubesent-approve-scope" in answer.detail, answer.detail
    assert after["spec"]["template"]["spec"]["containers"][0]["image"] == TYPO
