"""The pipeline end to end on a real API server, as KubeSent's own identity (issue 12, item 3.4).

The Deployment controller makes the ReplicaSet and the pod; the test plays the kubelet (the pod's status
through the status subresource, its Events) and the exporter (the EnhancedEvent). Then KubeSent reads,
decides and writes through its RBAC and admission policy: a patch with the resourceVersion precondition,
server-side dry-run through admission, a 409 on a concurrent change, its annotation, and a rollout.
"""
from __future__ import annotations

import copy
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import kubernetes.client
import pytest

from kubesent import events
from kubesent.audit import AuditRecord
from kubesent.cluster.kube import KubeCluster
from kubesent.diagnosis.base import NullDiagnoser
from kubesent.evidence import annotation
from kubesent.ledger.memory import MemoryLedger
from kubesent.pipeline import Pipeline
from kubesent.settings import Settings
from kubesent.wiring import ledger_settings
from local_emulator import exporter_event
from local_emulator.controlplane.clients import wait_until
from tests.controlplane import support

NAMESPACE = support.ALLOWED


def _container(limit: str) -> dict[str, Any]:
    container = copy.deepcopy(support.CONTAINER)
    container["resources"] = {"requests": {"memory": limit, "cpu": "100m"}, "limits": {"memory": limit, "cpu": "500m"}}
    return container


def _oom_killed(admin: kubernetes.client.ApiClient, name: str, limit: str) -> dict[str, Any]:
    """A Deployment whose one pod the 'kubelet' reports OOM-killed 30 s after its start, twice."""
    apps, core = kubernetes.client.AppsV1Api(admin), kubernetes.client.CoreV1Api(admin)
    apps.create_namespaced_deployment(NAMESPACE, support.deployment(name, replicas=1, container=_container(limit)))
    pods = wait_until("the controller's pod",
                 lambda: core.list_namespaced_pod(NAMESPACE, label_selector=f"app={name}").items)
    pod = admin.sanitize_for_serialization(pods[0])
    now = datetime.now(UTC).replace(microsecond=0)
    stamp = exporter_event.utc_stamp
    pod["status"] = {
        "phase": "Running", "startTime": stamp(now - timedelta(minutes=3)),
        "conditions": [{"type": "Ready", "status": "False", "reason": "ContainersNotReady"}],
        "containerStatuses": [{
            "name": "app", "ready": False, "restartCount": 2, "image": support.CONTAINER["image"],
            "imageID": "registry.example/app@sha256:" + "0" * 64,
            "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 20s restarting failed container"}},
            "lastState": {"terminated": {"reason": "OOMKilled", "exitCode": 137,
                                         "startedAt": stamp(now - timedelta(seconds=60)),
                                         "finishedAt": stamp(now - timedelta(seconds=30))}}}]}
    pod = admin.sanitize_for_serialization(core.replace_namespaced_pod_status(pod["metadata"]["name"], NAMESPACE, pod))
    event = exporter_event.kubelet_event(pod, reason="BackOff", container="app",
                                         message=f"Back-off restarting failed container app in pod "
                                                 f"{pod['metadata']['name']}_{NAMESPACE}({pod['metadata']['uid']})")
    stored = admin.sanitize_for_serialization(core.create_namespaced_event(NAMESPACE, event))
    return exporter_event.enhanced(stored, pod)


def _pipeline(kubesent: kubernetes.client.ApiClient, **settings: Any) -> Pipeline:
    values: dict[str, Any] = {"dry_run": False, "llm": "none", "ledger": "memory",
                              "namespaces_allow": (NAMESPACE,), **settings}
    chosen = Settings(**values)
    return Pipeline(chosen, cluster=KubeCluster(kubesent), ledger=MemoryLedger(ledger_settings(chosen)),
                    diagnoser=NullDiagnoser())


def _deployment(admin: kubernetes.client.ApiClient, name: str) -> dict[str, Any]:
    apps = kubernetes.client.AppsV1Api(admin)
    return admin.sanitize_for_serialization(apps.read_namespaced_deployment(name, NAMESPACE))


@pytest.fixture()
def name(admin_client: kubernetes.client.ApiClient) -> Iterator[str]:
    chosen = support.unique("hog")
    yield chosen
    kubernetes.client.AppsV1Api(admin_client).delete_namespaced_deployment(chosen, NAMESPACE)


def test_an_oom_kill_ends_in_a_patch_the_server_accepts_and_the_controller_rolls_out(
        admin_client: kubernetes.client.ApiClient, kubesent_client: kubernetes.client.ApiClient, name: str) -> None:
    payload = _oom_killed(admin_client, name, "64Mi")
    before = _deployment(admin_client, name)

    record: AuditRecord = _pipeline(kubesent_client).handle(events.parse_event(payload))

    after = _deployment(admin_client, name)
    assert record.action == "applied" and record.dry_run_result == "accepted", record.reason
    assert after["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["memory"] == "164Mi"
    assert int(after["metadata"]["resourceVersion"]) > int(before["metadata"]["resourceVersion"])
    note = annotation.parse(after["metadata"]["annotations"])
    assert note is not None and note.remedy == "raise_memory_limit" and note.previous == {"memory_limit": "64Mi"}
    assert any(entry["manager"] == "kubesent" for entry in after["metadata"]["managedFields"])
    apps = kubernetes.client.AppsV1Api(admin_client)
    replica_sets = wait_until("a second ReplicaSet", lambda: [
        rs for rs in apps.list_namespaced_replica_set(NAMESPACE, label_selector=f"app={name}").items
        if rs.spec.template.spec.containers[0].resources.limits["memory"] == "164Mi"])
    assert replica_sets


def test_server_side_dry_run_runs_admission_and_a_refusal_writes_nothing(
        admin_client: kubernetes.client.ApiClient, kubesent_client: kubernetes.client.ApiClient, name: str) -> None:
    """The function's own ceiling is set above the cluster's: the admission policy's params still hold."""
    payload = _oom_killed(admin_client, name, "3900Mi")

    record = _pipeline(kubesent_client, memory_ceiling="64Gi").handle(events.parse_event(payload))

    assert record.action == "escalated" and (record.dry_run_result or "").startswith("refused")
    assert "kubesent-patch-scope" in record.reason
    limits = _deployment(admin_client, name)["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]
    assert limits["memory"] == "3900Mi"


class _Racing(KubeCluster):
    """KubeSent's client, but an admin relabels the Deployment between KubeSent's read and its first write."""

    def __init__(self, client: kubernetes.client.ApiClient, admin: kubernetes.client.ApiClient, name: str) -> None:
        super().__init__(client)
        self.admin, self.name, self.raced = admin, name, False

    def patch(self, **kwargs: Any) -> dict[str, Any]:
        if not self.raced:
            self.raced = True
            kubernetes.client.AppsV1Api(self.admin).patch_namespaced_deployment(
                self.name, NAMESPACE, {"metadata": {"labels": {"touched-by": "someone-else"}}})
        return super().patch(**kwargs)


def test_a_409_on_a_concurrent_change_is_re_read_re_decided_and_applied(
        admin_client: kubernetes.client.ApiClient, kubesent_client: kubernetes.client.ApiClient, name: str) -> None:
    payload = _oom_killed(admin_client, name, "64Mi")
    pipeline = _pipeline(kubesent_client)
    racing = _Racing(kubesent_client, admin_client, name)
    pipeline.cluster = racing

    record = pipeline.handle(events.parse_event(payload))

    after = _deployment(admin_client, name)
    assert racing.raced and record.action == "applied", record.reason
    assert after["metadata"]["labels"]["touched-by"] == "someone-else"
    assert after["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["memory"] == "164Mi"
