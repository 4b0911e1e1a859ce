"""health.judge: the verdict on a patched rollout, from the objects as each controller and the kubelet write them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from kubesent import health

PATCHED = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
OLD, NEW = "old5d8f7c", "new6b9c4d"


def pod(revision: str, *, ready: bool = True, restarts: int = 0, last: str | None = None,
        waiting: str | None = None, unschedulable: str | None = None, terminating: bool = False,
        label: str = "pod-template-hash") -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": f"web-{revision}-x", "labels": {label: revision}}
    if terminating:
        metadata["deletionTimestamp"] = "2026-05-01T12:00:05Z"
    conditions = [{"type": "Ready", "status": "True" if ready else "False"}]
    if unschedulable:
        conditions = [{"type": "PodScheduled", "status": "False", "reason": "Unschedulable", "message": unschedulable}]
    entry: dict[str, Any] = {"name": "app", "restartCount": restarts, "ready": ready,
                             "state": {"waiting": {"reason": waiting}} if waiting else {"running": {}}}
    if last:
        entry["lastState"] = {"terminated": {"reason": last, "exitCode": 137 if last == "OOMKilled" else 1}}
    return {"metadata": metadata, "status": {"conditions": conditions, "containerStatuses": [entry]}}


def deployment(*, observed: int = 2, updated: int = 2, available: int = 2, total: int = 2,
               deadline: int | None = None, exceeded: bool = False) -> dict[str, Any]:
    spec: dict[str, Any] = {"replicas": 2}
    if deadline is not None:
        spec["progressDeadlineSeconds"] = deadline
    status: dict[str, Any] = {"observedGeneration": observed, "updatedReplicas": updated, "readyReplicas": available,
                              "availableReplicas": available, "replicas": total}
    if exceeded:
        status["conditions"] = [{"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded",
                                 "message": 'ReplicaSet "web-new6b9c4d" has timed out progressing.'}]
    return {"metadata": {"generation": 2}, "spec": spec, "status": status}


def judge(workload: dict[str, Any], pods: list[dict[str, Any]], *, after: float, kind: str = "Deployment",
          category: str = "oom_killed", healthy_since: datetime | None = None) -> health.Judgement:
    return health.judge(workload, pods, kind=kind, generation=2, old_revision=OLD, category=category,
                        patched_at=PATCHED, healthy_since=healthy_since, now=PATCHED + timedelta(seconds=after),
                        settle_seconds=300, default_deadline_seconds=600)


def test_a_complete_rollout_is_verified_only_after_the_settle_window() -> None:
    pods = [pod(NEW), pod(NEW), pod(OLD, ready=False, terminating=True)]

    first = judge(deployment(), pods, after=60)
    assert (first.outcome, first.healthy) == ("pending", True)
    assert judge(deployment(), pods, after=200, healthy_since=PATCHED + timedelta(seconds=60)).outcome == "pending"
    assert judge(deployment(), pods, after=360, healthy_since=PATCHED + timedelta(seconds=60)).outcome == "verified"


@pytest.mark.parametrize(("workload", "waiting_for"), [
    (deployment(observed=1), "has not seen generation 2"),
    (deployment(updated=1, total=3), "1/2 updated"),
    (deployment(available=1), "1/2 available"),
])
def test_an_unfinished_rollout_is_pending(workload: dict[str, Any], waiting_for: str) -> None:
    found = judge(workload, [pod(NEW), pod(NEW)], after=60)

    assert found.outcome == "pending" and waiting_for in found.reason and not found.healthy


def test_the_same_failure_on_the_new_template_is_not_healed() -> None:
    found = judge(deployment(available=1), [pod(NEW), pod(NEW, ready=False, restarts=2, last="OOMKilled",
                                                         waiting="CrashLoopBackOff")], after=60)

    assert found.outcome == "not_healed" and "OOMKilled" in found.reason


def test_a_liveness_kill_is_the_same_failure_as_the_probe_incident() -> None:
    restarted = pod(NEW, ready=False, restarts=1, last="Error")

    assert judge(deployment(available=1), [restarted], after=60, category="probe_failure").outcome == "not_healed"
    assert judge(deployment(available=1), [restarted], after=60, category="oom_killed").outcome == "worse"


@pytest.mark.parametrize("new_pod", [
    pod(NEW, ready=False, unschedulable="0/3 nodes are available: 3 Insufficient memory."),
    pod(NEW, ready=False, waiting="CreateContainerConfigError"),
    pod(NEW, ready=False, waiting="ImagePullBackOff"),
], ids=["unschedulable", "config", "image"])
def test_a_new_failure_on_the_new_template_is_worse(new_pod: dict[str, Any]) -> None:
    assert judge(deployment(available=0), [new_pod], after=60).outcome == "worse"


def test_the_old_revisions_failures_are_not_the_fixs() -> None:
    failing_old = pod(OLD, ready=False, restarts=5, last="OOMKilled", waiting="CrashLoopBackOff")

    assert judge(deployment(), [pod(NEW), pod(NEW), failing_old], after=60).outcome == "pending"


def test_a_rollout_past_its_deadline_is_stalled() -> None:
    not_ready = [pod(NEW, ready=False)]

    assert judge(deployment(available=0), not_ready, after=60).outcome == "pending"
    assert judge(deployment(available=0, exceeded=True), not_ready, after=60).outcome == "stalled"
    assert judge(deployment(available=0, deadline=30), not_ready, after=60).outcome == "stalled"
    assert judge(deployment(available=0), not_ready, after=601).outcome == "stalled"


def test_statefulsets_and_daemonsets_are_read_their_own_way() -> None:
    statefulset = {"metadata": {"generation": 2}, "spec": {"replicas": 2},
                   "status": {"observedGeneration": 2, "updatedReplicas": 2, "readyReplicas": 2,
                              "currentRevision": f"db-{NEW}", "updateRevision": f"db-{NEW}"}}
    daemonset = {"metadata": {"generation": 2}, "spec": {},
                 "status": {"observedGeneration": 2, "desiredNumberScheduled": 3, "updatedNumberScheduled": 3,
                            "numberAvailable": 2}}
    sts_pods = [pod(NEW, label="controller-revision-hash"), pod(NEW, label="controller-revision-hash")]

    assert judge(statefulset, sts_pods, after=60, kind="StatefulSet").healthy
    found = judge(daemonset, sts_pods, after=60, kind="DaemonSet")
    assert not found.healthy and "2/3 available" in found.reason
    assert judge(daemonset, sts_pods, after=601, kind="DaemonSet").outcome == "stalled"
