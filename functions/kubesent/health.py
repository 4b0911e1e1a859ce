"""Did a patch heal its workload? The verifier's judgement of one rollout, from the objects alone. Pure.

A patched template rolls out as new pods (a new ReplicaSet, or a new controller revision). The verdict:

* **verified**: the controller has seen the patched generation (``observedGeneration``), every replica is
  updated, ready and available, no pod of the old revision is left, and the new pods have stayed Ready with no
  restart for the settle window;
* **not healed**: a new pod fails the way the incident did (an OOM kill after a memory raise);
* **worse**: a new pod fails another way: unschedulable ("Insufficient memory" after a raise), evicted, a new
  crash or pull reason;
* **stalled**: the rollout is past its progress deadline (the Deployment controller's
  ``ProgressDeadlineExceeded``, or the deadline's time for kinds without one) without finishing;
* **pending**: still moving; look again later.

Called by ``verify``; never reads the cluster.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from kubesent import k8s, objects
from kubesent.evidence import templates
from kubesent.evidence.category import Category

Outcome = Literal["pending", "verified", "not_healed", "worse", "stalled"]
# A Deployment's default progressDeadlineSeconds (apps/v1).
DEFAULT_PROGRESS_DEADLINE_SECONDS = 600
# Failures that are one kind for a person: a liveness kill restarts the container like a crash does.
_SAME_KIND = {Category.PROBE_FAILURE.value: Category.CRASH_LOOP.value}
_WAITING = {"ImagePullBackOff": Category.IMAGE_PULL, "ErrImagePull": Category.IMAGE_PULL,
            "InvalidImageName": Category.IMAGE_PULL, "CreateContainerConfigError": Category.CONFIG_MISSING,
            "CreateContainerError": Category.CONTAINER_CREATE, "RunContainerError": Category.CONTAINER_CREATE,
            "CrashLoopBackOff": Category.CRASH_LOOP}


@dataclass(frozen=True)
class Judgement:
    outcome: Outcome
    reason: str
    healthy: bool = False
    """The rollout is complete and its new pods are Ready now (the settle window runs from the first such check)."""


@dataclass(frozen=True)
class Failure:
    pod: str
    category: str
    text: str


def revision(pod: dict[str, Any]) -> str:
    labels = objects.as_dict(objects.as_dict(pod.get("metadata")).get("labels"))
    return next((str(labels[label]) for label in templates.TEMPLATE_HASH_LABELS if labels.get(label)), "")


def pod_failure(pod: dict[str, Any]) -> Failure | None:
    """How a pod fails now, if it does: its scheduling, its eviction, then each container's state."""
    name = str(objects.as_dict(pod.get("metadata")).get("name") or "")
    status = objects.as_dict(pod.get("status"))
    if status.get("reason") == "Evicted":
        return Failure(name, Category.EVICTED.value, f"evicted: {status.get('message', '')}")
    for condition in objects.as_list(status.get("conditions")):
        condition = objects.as_dict(condition)
        if condition.get("type") == "PodScheduled" and condition.get("status") == "False" \
                and condition.get("reason") == "Unschedulable":
            return Failure(name, Category.UNSCHEDULABLE.value, f"unschedulable: {condition.get('message', '')}")
    statuses = objects.as_list(status.get("initContainerStatuses")) + objects.as_list(status.get("containerStatuses"))
    for entry in statuses:
        found = _container_failure(name, objects.as_dict(entry))
        if found is not None:
            return found
    return None


def _container_failure(pod: str, entry: dict[str, Any]) -> Failure | None:
    container = entry.get("name", "")
    state, last = objects.as_dict(entry.get("state")), objects.as_dict(entry.get("lastState"))
    terminated = objects.as_dict(state.get("terminated")) or objects.as_dict(last.get("terminated"))
    if terminated.get("reason") == "OOMKilled":
        return Failure(pod, Category.OOM_KILLED.value, f"container {container} was OOMKilled")
    waiting = str(objects.as_dict(state.get("waiting")).get("reason") or "")
    if waiting in _WAITING:
        return Failure(pod, _WAITING[waiting].value, f"container {container}: {waiting}")
    restarts = int(entry.get("restartCount") or 0)
    if restarts:
        why = terminated.get("reason") or "restarted"
        return Failure(pod, Category.CRASH_LOOP.value,
                       f"container {container} restarted {restarts}× ({why}, exit {terminated.get('exitCode', '?')})")
    return None


def same_failure(found: str, incident: str) -> bool:
    return _SAME_KIND.get(found, found) == _SAME_KIND.get(incident, incident)


def rollout_complete(workload: dict[str, Any], kind: str, generation: int) -> tuple[bool, str]:
    """(complete, what it waits for), the way ``kubectl rollout status`` reads each kind."""
    spec, status = objects.as_dict(workload.get("spec")), objects.as_dict(workload.get("status"))
    observed = int(status.get("observedGeneration") or 0)
    if observed < generation:
        return False, f"the controller has not seen generation {generation} yet (observed {observed})"
    if kind == "DaemonSet":
        desired = int(status.get("desiredNumberScheduled") or 0)
        updated, available = int(status.get("updatedNumberScheduled") or 0), int(status.get("numberAvailable") or 0)
        return (updated >= desired and available >= desired,
                f"{updated}/{desired} updated, {available}/{desired} available")
    replicas = int(spec.get("replicas", 1))
    updated, ready = int(status.get("updatedReplicas") or 0), int(status.get("readyReplicas") or 0)
    if kind == "StatefulSet":
        same = status.get("updateRevision") == status.get("currentRevision") or updated >= replicas
        return (same and updated >= replicas and ready >= replicas,
                f"{updated}/{replicas} updated, {ready}/{replicas} ready")
    available, total = int(status.get("availableReplicas") or 0), int(status.get("replicas") or 0)
    complete = updated >= replicas and total <= updated and available >= updated
    return complete, f"{updated}/{replicas} updated, {available}/{replicas} available, {total - updated} old left"


def deadline_seconds(workload: dict[str, Any], kind: str, default: int) -> int:
    if kind == "Deployment":
        value = objects.as_dict(workload.get("spec")).get("progressDeadlineSeconds")
        return int(value) if isinstance(value, int) else DEFAULT_PROGRESS_DEADLINE_SECONDS
    return default


def deadline_exceeded(workload: dict[str, Any]) -> str:
    """The Deployment controller's own verdict, when it gave one."""
    for condition in objects.as_list(objects.as_dict(workload.get("status")).get("conditions")):
        condition = objects.as_dict(condition)
        if condition.get("type") == "Progressing" and condition.get("reason") == "ProgressDeadlineExceeded":
            return str(condition.get("message") or "ProgressDeadlineExceeded")
    return ""


def judge(workload: dict[str, Any], pods: list[dict[str, Any]], *, kind: str, generation: int, old_revision: str,
          category: str, patched_at: datetime, healthy_since: datetime | None, now: datetime,
          settle_seconds: int, default_deadline_seconds: int) -> Judgement:
    """The verdict on one patched workload, from its live object and its pods."""
    # The pods of the patched template: another revision than the failing pods', and not on their way out.
    new = [pod for pod in pods if revision(pod) and revision(pod) != old_revision
           and not objects.as_dict(pod.get("metadata")).get("deletionTimestamp")]
    failures = [found for pod in new if (found := pod_failure(pod)) is not None]
    if failures:
        same = [f for f in failures if same_failure(f.category, category)]
        if same:
            return Judgement("not_healed", f"the patched template fails the same way: {_say(same)}")
        return Judgement("worse", f"the patched template fails in a new way: {_say(failures)}")
    complete, waiting = rollout_complete(workload, kind, generation)
    ready_count = sum(map(k8s.pod_ready, new))
    ready = bool(new) and ready_count == len(new)
    if complete and ready:
        since = healthy_since or now
        settled = (now - since).total_seconds()
        if settled >= settle_seconds:
            return Judgement("verified", f"{len(new)} new pod(s) Ready without a restart for {settled:.0f} s; "
                                         f"rollout complete ({waiting})", healthy=True)
        return Judgement("pending", f"healthy for {settled:.0f} of {settle_seconds} s", healthy=True)
    stalled = deadline_exceeded(workload)
    deadline = deadline_seconds(workload, kind, default_deadline_seconds)
    if stalled or (now - patched_at).total_seconds() > deadline:
        return Judgement("stalled", f"the rollout did not finish within {deadline} s: "
                                    f"{stalled or waiting}; {len(new)} new pod(s), {ready_count} Ready")
    return Judgement("pending", f"rolling out: {waiting}; {len(new)} new pod(s)")


def _say(failures: list[Failure]) -> str:
    shown = "; ".join(f"pod {f.pod}: {f.text}" for f in failures[:3])
    return shown + (f" (and {len(failures) - 3} more)" if len(failures) > 3 else "")
