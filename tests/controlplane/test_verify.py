"""Verification and undo on a real API server, where the controllers decide what a rollout's status says (issue 16).

KubeSent's pipeline raises an OOM-killed Deployment's limit as its own identity; kube-controller-manager rolls
it out (a new ReplicaSet and pod, the Deployment's status and its Progressing condition); the test plays the
kubelet for the new pod. The verifier then reads all of it as KubeSent, and its undo goes through KubeSent's
RBAC and the admission policy that allows exactly that restore.
"""
from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import kubernetes.client
import pytest

from kubesent import events, undo, verify
from kubesent.audit import AuditRecord
from kubesent.cluster.kube import KubeCluster
from kubesent.diagnosis.base import NullDiagnoser
from kubesent.ledger.memory import MemoryLedger
from kubesent.pipeline import Pipeline
from kubesent.settings import Settings
from kubesent.wiring import ledger_settings
from local_emulator import exporter_event
from local_emulator.controlplane.clients import wait_until
from tests.controlplane import support
from tests.controlplane.test_pipeline import _deployment, _oom_killed

NAMESPACE = support.ALLOWED
UNSCHEDULABLE = "0/3 nodes are available: 3 Insufficient memory. preemption: 0/3 nodes are available: 3 No " \
                "preemption victims found for incoming pod."


@pytest.fixture()
def name(admin_client: kubernetes.client.ApiClient) -> Iterator[str]:
    chosen = support.unique("fix")
    yield chosen
    kubernetes.client.AppsV1Api(admin_client).delete_namespaced_deployment(chosen, NAMESPACE)


def settings(**overrides: Any) -> Settings:
    return Settings(**{"dry_run": False, "llm": "none", "ledger": "memory", "namespaces_allow": (NAMESPACE,),
                       "verify_settle_seconds": 0, **overrides})


def apply_fix(admin: kubernetes.client.ApiClient, kubesent: kubernetes.client.ApiClient, name: str,
              ledger: MemoryLedger) -> tuple[AuditRecord, datetime]:
    payload = _oom_killed(admin, name, "64Mi")
    now = datetime.now(UTC)
    chosen = settings()
    record = Pipeline(chosen, cluster=KubeCluster(kubesent), ledger=ledger,
                      diagnoser=NullDiagnoser()).handle(events.parse_event(payload), now=now)
    assert record.action == "applied", record.reason
    return record, now


def new_pod(admin: kubernetes.client.ApiClient, name: str) -> dict[str, Any]:
    """The pod of the patched template, once the controllers made it."""
    core = kubernetes.client.CoreV1Api(admin)
    pods = wait_until("the patched template's pod", lambda: [
        p for p in core.list_namespaced_pod(NAMESPACE, label_selector=f"app={name}").items
        if p.spec.containers[0].resources.limits["memory"] == "164Mi" and not p.metadata.deletion_timestamp])
    return admin.sanitize_for_serialization(pods[0])  # type: ignore[no-any-return]


def report_status(admin: kubernetes.client.ApiClient, pod: dict[str, Any], status: dict[str, Any]) -> None:
    """What the kubelet (or the scheduler) writes through the status subresource."""
    pod["status"] = status
    kubernetes.client.CoreV1Api(admin).replace_namespaced_pod_status(pod["metadata"]["name"], NAMESPACE, pod)


def running_and_ready() -> dict[str, Any]:
    stamp = exporter_event.utc_stamp(datetime.now(UTC).replace(microsecond=0))
    return {"phase": "Running", "startTime": stamp,
            "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": stamp}],
            "containerStatuses": [{"name": "app", "ready": True, "started": True, "restartCount": 0,
                                   "image": support.CONTAINER["image"], "imageID": "",
                                   "state": {"running": {"startedAt": stamp}}}]}


def check(kubesent: kubernetes.client.ApiClient, ledger: MemoryLedger, at: datetime,
          **overrides: Any) -> list[AuditRecord]:
    return verify.Verifier(settings(**overrides), cluster=KubeCluster(kubesent), ledger=ledger).run(now=at)


def memory_limit(admin: kubernetes.client.ApiClient, name: str) -> str:
    return str(_deployment(admin, name)["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["memory"])


def test_a_fix_whose_rollout_the_controllers_complete_is_verified(
        admin_client: kubernetes.client.ApiClient, kubesent_client: kubernetes.client.ApiClient, name: str) -> None:
    ledger = MemoryLedger(ledger_settings(settings()))
    record, patched_at = apply_fix(admin_client, kubesent_client, name, ledger)
    report_status(admin_client, new_pod(admin_client, name), running_and_ready())
    wait_until("the Deployment controller to see the new pod available", lambda: (
        (_deployment(admin_client, name).get("status") or {}).get("availableReplicas") == 1
        and (_deployment(admin_client, name).get("status") or {}).get("replicas") == 1))

    [verified] = check(kubesent_client, ledger, patched_at + timedelta(seconds=61))

    assert verified.verification is not None and verified.verification["outcome"] == "verified", verified.reason
    assert verified.incident_id == record.incident_id and memory_limit(admin_client, name) == "164Mi"


def test_a_fix_that_leaves_its_pod_unschedulable_is_undone_through_the_admission_policy(
        admin_client: kubernetes.client.ApiClient, kubesent_client: kubernetes.client.ApiClient, name: str) -> None:
    ledger = MemoryLedger(ledger_settings(settings()))
    _, patched_at = apply_fix(admin_client, kubesent_client, name, ledger)
    assert _deployment(admin_client, name)["metadata"]["annotations"][undo.PREFIX + "memory"] == "app:64Mi:164Mi"
    report_status(admin_client, new_pod(admin_client, name), {"phase": "Pending", "conditions": [
        {"type": "PodScheduled", "status": "False", "reason": "Unschedulable", "message": UNSCHEDULABLE}]})

    [worse] = check(kubesent_client, ledger, patched_at + timedelta(seconds=61))

    assert worse.verification is not None and worse.verification["outcome"] == "worse"
    assert worse.verification["undo"] == "undone: memory limit of app restored to 64Mi (was 164Mi)", worse.reason
    after = _deployment(admin_client, name)
    assert memory_limit(admin_client, name) == "64Mi"
    assert undo.PREFIX + "memory" not in after["metadata"]["annotations"]
    assert any(entry["manager"] == "kubesent" for entry in after["metadata"]["managedFields"])


def test_a_rollout_the_controller_calls_stuck_is_stalled_and_undone(
        admin_client: kubernetes.client.ApiClient, kubesent_client: kubernetes.client.ApiClient, name: str) -> None:
    ledger = MemoryLedger(ledger_settings(settings()))
    payload = _oom_killed(admin_client, name, "64Mi")
    # An operator's short deadline (the admin's own edit, before the incident): the controller judges it.
    kubernetes.client.AppsV1Api(admin_client).patch_namespaced_deployment(
        name, NAMESPACE, {"spec": {"progressDeadlineSeconds": 2}})
    now = datetime.now(UTC)
    record = Pipeline(settings(), cluster=KubeCluster(kubesent_client), ledger=ledger,
                      diagnoser=NullDiagnoser()).handle(events.parse_event(payload), now=now)
    assert record.action == "applied", record.reason
    new_pod(admin_client, name)  # created, never scheduled, never Ready: no kubelet reports it
    wait_until("the Deployment controller's ProgressDeadlineExceeded", lambda: any(
        c.get("reason") == "ProgressDeadlineExceeded"
        for c in (_deployment(admin_client, name).get("status") or {}).get("conditions") or []))

    [stalled] = check(kubesent_client, ledger, now + timedelta(seconds=61))

    assert stalled.verification is not None and stalled.verification["outcome"] == "stalled"
    assert "timed out progressing" in stalled.verification["detail"]
    assert stalled.verification["undo"].startswith("undone:") and memory_limit(admin_client, name) == "64Mi"


def test_a_persons_later_change_is_not_undone(
        admin_client: kubernetes.client.ApiClient, kubesent_client: kubernetes.client.ApiClient, name: str) -> None:
    ledger = MemoryLedger(ledger_settings(settings()))
    _, patched_at = apply_fix(admin_client, kubesent_client, name, ledger)
    pod = new_pod(admin_client, name)
    # A person's edit of the spec after the fix (one that starts no new rollout, so the pod stays the fix's).
    kubernetes.client.AppsV1Api(admin_client).patch_namespaced_deployment(
        name, NAMESPACE, {"spec": {"revisionHistoryLimit": 5}})
    report_status(admin_client, pod, {"phase": "Pending", "conditions": [
        {"type": "PodScheduled", "status": "False", "reason": "Unschedulable", "message": UNSCHEDULABLE}]})

    [worse] = check(kubesent_client, ledger, patched_at + timedelta(seconds=61))

    assert worse.verification is not None and worse.verification["outcome"] == "worse"
    assert worse.verification["undo"].startswith("not undone: the workload changed after KubeSent's patch")
    assert memory_limit(admin_client, name) == "164Mi"


def test_a_fix_whose_new_pod_is_oom_killed_again_is_not_healed_and_kept(
        admin_client: kubernetes.client.ApiClient, kubesent_client: kubernetes.client.ApiClient, name: str) -> None:
    ledger = MemoryLedger(ledger_settings(settings()))
    _, patched_at = apply_fix(admin_client, kubesent_client, name, ledger)
    stamp = exporter_event.utc_stamp(datetime.now(UTC).replace(microsecond=0))
    report_status(admin_client, new_pod(admin_client, name), {
        "phase": "Running", "conditions": [{"type": "Ready", "status": "False"}],
        "containerStatuses": [{"name": "app", "ready": False, "restartCount": 1, "image": support.CONTAINER["image"],
                               "imageID": "", "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                               "lastState": {"terminated": {"reason": "OOMKilled", "exitCode": 137,
                                                            "startedAt": stamp, "finishedAt": stamp}}}]})

    [not_healed] = check(kubesent_client, ledger, patched_at + timedelta(seconds=61))

    assert not_healed.verification is not None and not_healed.verification["outcome"] == "not_healed"
    assert not_healed.action == "escalated" and not_healed.verification["undo"] == ""
    assert memory_limit(admin_client, name) == "164Mi"
