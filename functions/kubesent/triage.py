"""Is a pod failing now, and which Warning event would the kubelet have sent for it? Pure.

``kubesent diagnose`` and ``POST /analyze`` start from a pod, not from an exporter event, so they build the
event the pipeline expects from what the pod's status shows: a crash loop, an OOM kill in ``lastState``,
an image pull, a config error, unschedulable Pending, an eviction. The event is built in the pod's own
namespace, for its uid, as the kubelet writes it; it supports the diagnosis, never a write (the policy's
corroboration still reads the pod's status). Called by ``ondemand``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kubesent import events
from kubesent.objects import as_dict, as_list

IMAGE_WAITING = frozenset({"ErrImagePull", "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull",
                           "RegistryUnavailable", "SignatureValidationFailed"})
CONFIG_WAITING = frozenset({"CreateContainerConfigError", "CreateContainerError", "RunContainerError"})
# A caller's failure reason (the seed's ``failure_reason``) → the Warning reason the kubelet reports for it.
REASON_EVENTS = {"OOMKilled": "BackOff", "CrashLoopBackOff": "BackOff", "Error": "BackOff",
                 "Unschedulable": "FailedScheduling", **{reason: "Failed" for reason in IMAGE_WAITING | CONFIG_WAITING}}
# What an event message may repeat of a container's waiting message.
MESSAGE_CHARS = 1000


@dataclass(frozen=True)
class Failure:
    """What a pod shows now: the Warning reason the kubelet reports for it, its message, and the container."""

    reason: str
    message: str
    container: str | None
    summary: str
    """A few words for a person: ``OOMKilled``, ``CrashLoopBackOff``, ``ImagePullBackOff``…"""


def _statuses(pod: dict[str, Any]) -> list[dict[str, Any]]:
    status = as_dict(pod.get("status"))
    return [s for section in ("initContainerStatuses", "containerStatuses")
            for s in as_list(status.get(section)) if isinstance(s, dict)]


def container_failure(entry: dict[str, Any]) -> Failure | None:
    """The failure one container status shows, or None."""
    name = str(entry.get("name", "")) or None
    waiting = as_dict(as_dict(entry.get("state")).get("waiting"))
    last = as_dict(as_dict(entry.get("lastState")).get("terminated")) or as_dict(
        as_dict(entry.get("state")).get("terminated"))
    waiting_reason, message = str(waiting.get("reason", "")), str(waiting.get("message", ""))[:MESSAGE_CHARS]
    if last.get("reason") == "OOMKilled":
        return Failure("BackOff", f"Back-off restarting failed container {name}", name, "OOMKilled")
    if waiting_reason in IMAGE_WAITING:
        return Failure("Failed", f"Error: {waiting_reason}" + (f": {message}" if message else ""), name,
                       waiting_reason)
    if waiting_reason in CONFIG_WAITING:
        return Failure("Failed", message or f"Error: {waiting_reason}", name, waiting_reason)
    if waiting_reason == "CrashLoopBackOff" or (last and last.get("exitCode") not in (None, 0)
                                                and int(entry.get("restartCount") or 0) > 0):
        return Failure("BackOff", f"Back-off restarting failed container {name}", name,
                       waiting_reason or "Error")
    return None


def failure(pod: dict[str, Any], *, container: str | None = None) -> Failure | None:
    """The failure the pod shows now (of ``container`` when given), or None for a pod that is not failing."""
    status = as_dict(pod.get("status"))
    if status.get("reason") == "Evicted":
        return Failure("Evicted", str(status.get("message", ""))[:MESSAGE_CHARS], None, "Evicted")
    for condition in as_list(status.get("conditions")):
        if isinstance(condition, dict) and condition.get("type") == "PodScheduled" \
                and condition.get("status") == "False" and condition.get("reason") == "Unschedulable":
            return Failure("FailedScheduling", str(condition.get("message", ""))[:MESSAGE_CHARS], None,
                           "Unschedulable")
    for entry in _statuses(pod):
        if container is not None and entry.get("name") != container:
            continue
        found = container_failure(entry)
        if found is not None:
            return found
    return None


def from_reason(failure_reason: str, pod: dict[str, Any], *, container: str | None) -> Failure:
    """The failure a caller names (the seed's ``failure_reason``); the pod's own status wins when it shows one."""
    shown = failure(pod, container=container)
    if shown is not None:
        return shown
    reason = REASON_EVENTS.get(failure_reason, failure_reason)
    if reason not in events.POD_FAILURE_REASONS:
        reason = "BackOff"
    message = f"Error: {failure_reason}" if reason == "Failed" else f"{failure_reason} (as the caller reports)"
    return Failure(reason, message, container, failure_reason)


def event_for(pod: dict[str, Any], found: Failure, *, now: datetime) -> events.PodEvent:
    """The kubelet's Warning event for this failure, as the exporter would forward it."""
    meta = as_dict(pod.get("metadata"))
    namespace, name = str(meta.get("namespace", "")), str(meta.get("name", ""))
    stamp = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    involved: dict[str, Any] = {"kind": "Pod", "apiVersion": "v1", "namespace": namespace, "name": name,
                                "uid": str(meta.get("uid", ""))}
    if found.container:
        section = "initContainers" if any(
            isinstance(c, dict) and c.get("name") == found.container
            for c in as_list(as_dict(pod.get("spec")).get("initContainers"))) else "containers"
        involved["fieldPath"] = f"spec.{section}{{{found.container}}}"
    return events.parse_event({
        "metadata": {"name": f"{name}.kubesent-diagnose", "namespace": namespace, "creationTimestamp": stamp},
        "reason": found.reason, "message": found.message, "type": "Warning", "count": 1,
        "source": {"component": "kubelet"}, "firstTimestamp": stamp, "lastTimestamp": stamp,
        "involvedObject": involved})


# The kubelet's exit code for a container the kernel's OOM killer ended: 128 + SIGKILL.
OOM_EXIT_CODE = 137


def status_from_reason(pod: dict[str, Any], failure_reason: str, *, container: str | None) -> dict[str, Any]:
    """The pod with a container status built from a caller's ``failure_reason`` when its YAML carries none
    (``kubectl get -o yaml`` of a spec only). It is the caller's word, never the kubelet's: read-only
    analysis only."""
    status = as_dict(pod.get("status"))
    if as_list(status.get("containerStatuses")):
        return pod
    containers = [c for c in as_list(as_dict(pod.get("spec")).get("containers")) if isinstance(c, dict)]
    chosen = next((c for c in containers if c.get("name") == container), containers[0] if containers else None)
    if chosen is None:
        return pod
    entry: dict[str, Any] = {"name": chosen.get("name"), "image": chosen.get("image", ""), "ready": False,
                             "restartCount": 0, "state": {"waiting": {"reason": failure_reason}}}
    if failure_reason in ("OOMKilled", "CrashLoopBackOff", "Error"):
        killed = failure_reason == "OOMKilled"
        entry.update(restartCount=1, state={"waiting": {"reason": "CrashLoopBackOff"}},
                     lastState={"terminated": {"reason": "OOMKilled" if killed else "Error",
                                               "exitCode": OOM_EXIT_CODE if killed else 1}})
    return {**pod, "status": {**status, "phase": status.get("phase") or "Running", "containerStatuses": [entry]}}
