"""The failure category of an event: the most fundamental failure the pod shows. Pure.

Part of the incident key, so it is decided from the event and the pod alone (before logs and
events are read). Called by ``gather``.
"""

from __future__ import annotations

import re
from typing import Any

from kubesent.events import PodEvent
from kubesent.evidence.category import Category
from kubesent.evidence.model import ContainerFacts
from kubesent.objects import as_dict

_IMAGE_WAITING = frozenset({"ErrImagePull", "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull",
                            "RegistryUnavailable", "SignatureValidationFailed"})
_CREATE_WAITING = frozenset({"CreateContainerError", "RunContainerError", "PreStartHookError",
                             "PostStartHookError", "ContainerCannotRun"})
# Kubelet's image messages: `Failed to pull image "I"`, `Error: ErrImagePull`, `Error: ImagePullBackOff`,
# `Failed to apply default image tag`, `Error: InvalidImageName`,
# `Container image "I" is not present with pull policy of Never`.
_IMAGE_MESSAGE = re.compile(r"(?:pull(?:ing)? image|ErrImage|ImagePull|InvalidImageName|default image tag|"
                            r"image \S+ is not present|Container image .{0,300} is not present)", re.IGNORECASE)
_NON_ROOT_MESSAGE = re.compile(r"container has runAsNonRoot and image")
_START_FAILURES = frozenset({"StartError", "ContainerCannotRun"})
_CONFIG_MESSAGE = re.compile(r'(?:configmap|secret) "[^"]+" not found|couldn.t find key \S+ in (?:ConfigMap|Secret)',
                             re.IGNORECASE)



def category(event: PodEvent, containers: tuple[ContainerFacts, ...], focus: str | None,
             pod: dict[str, Any]) -> Category:
    """The failure category: the most fundamental failure the pod shows, not just the event's reason.

    An OOM kill comes first: the readiness failures and back-offs of a restarted container are its
    consequences (kubelet's back-off entry expires after 10 minutes, so a container that ran for
    hours shows up through its probes, not a BackOff). Then the event reason, then container state.
    """
    reason, message = event.reason, event.message[:4000]
    facts = next((c for c in containers if c.name == focus), None)
    waiting = facts.waiting_reason if facts else None
    last = (facts.last_terminated or facts.terminated) if facts else None
    if reason == "Evicted" or as_dict(pod.get("status")).get("reason") == "Evicted":
        return Category.EVICTED
    if reason == "FailedScheduling":
        return Category.UNSCHEDULABLE
    if reason in ("FailedMount", "FailedAttachVolume"):
        return Category.MOUNT_FAILURE
    if last is not None and last.reason == "OOMKilled" and reason in ("BackOff", "Unhealthy", "Killing", "Failed"):
        return Category.OOM_KILLED
    if reason == "Unhealthy":
        return Category.PROBE_FAILURE
    if waiting in _IMAGE_WAITING or reason == "FailedToRetrieveImagePullSecret" or (
            reason in ("Failed", "InspectFailed") and _IMAGE_MESSAGE.search(message)):
        return Category.IMAGE_PULL
    if waiting == "CreateContainerConfigError" and _NON_ROOT_MESSAGE.search(
            message + " " + (facts.waiting_message if facts else "")):
        return Category.CONTAINER_CREATE
    if waiting == "CreateContainerConfigError" or _CONFIG_MESSAGE.search(message):
        return Category.CONFIG_MISSING
    if waiting in _CREATE_WAITING or reason in ("FailedPostStartHook", "FailedPreStopHook"):
        return Category.CONTAINER_CREATE
    if last is not None and last.reason in _START_FAILURES:
        # The runtime could not start the process (runc: executable not found, exec format error).
        return Category.CONTAINER_CREATE
    if reason == "BackOff" or waiting == "CrashLoopBackOff":
        return Category.CRASH_LOOP
    for other in containers:
        other_last = other.last_terminated or other.terminated
        if other_last is not None and other_last.reason == "OOMKilled":
            return Category.OOM_KILLED
    return Category.OTHER
