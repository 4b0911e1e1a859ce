"""Kubernetes facts KubeSent relies on, written once: kinds, probe defaults, the image-name rule.

Each fact says where it comes from. The base layer: imports nothing of KubeSent's but ``objects``.
"""

from __future__ import annotations

from typing import Any

from kubesent import bounds, quantity
from kubesent.objects import as_dict, as_list

# The workloads whose pod template KubeSent may patch live. A Job's template is immutable, a bare Pod's
# spec too (but for the resize subresource), and a CronJob's jobs are batch work to fix in source.
PATCHABLE_KINDS = frozenset({"Deployment", "StatefulSet", "DaemonSet"})

# core/v1 Container: the probe fields by probe name.
PROBE_FIELDS = {"liveness": "livenessProbe", "readiness": "readinessProbe", "startup": "startupProbe"}
# core/v1 Probe defaults (the API server fills them in): an unset field means this value.
PROBE_TIMING_DEFAULTS = {"initialDelaySeconds": 0, "timeoutSeconds": 1, "periodSeconds": 10, "failureThreshold": 3}
# The handlers a probe may have; exactly one is set.
PROBE_HANDLERS = ("httpGet", "tcpSocket", "grpc", "exec")

# The projected service-account token volume the ServiceAccount admission plugin adds to every pod.
TOKEN_VOLUME_PREFIX = "kube-api-access-"

# distribution/reference: an image name's first path part is a registry host only when it has a '.'
# or a ':' or is 'localhost'; otherwise the image is on Docker Hub.
DEFAULT_REGISTRY = "docker.io"
DOCKER_HUB_ALIASES = ("index.docker.io", "registry-1.docker.io")


def is_registry_host(first_path_part: str) -> bool:
    return "." in first_path_part or ":" in first_path_part or first_path_part == "localhost"


def image_registry(image: str) -> str:
    """The registry host of an image reference; Docker Hub when the first part is not a host."""
    first = image.split("/", 1)[0] if "/" in image else ""
    return first if is_registry_host(first) else DEFAULT_REGISTRY


def probe_timing(probe: dict[str, Any], field: str) -> int:
    """A probe's timing field as the kubelet uses it: its value, else the API default (the API server's
    defaulting replaces an unset or zero field with the default)."""
    value = probe.get(field)
    if isinstance(value, bool) or not isinstance(value, int) or value == 0:
        return PROBE_TIMING_DEFAULTS[field]
    return value


def detection_seconds(probe: dict[str, Any], changes: dict[str, int] | None = None) -> int:
    """A probe's detection time (``bounds.probe_detection_seconds``) with its defaults, after ``changes``."""
    timing = {field: probe_timing(probe, field) for field in PROBE_TIMING_DEFAULTS} | (changes or {})
    return bounds.probe_detection_seconds(initial_delay=timing["initialDelaySeconds"], period=timing["periodSeconds"],
                                          failure_threshold=timing["failureThreshold"],
                                          timeout=timing["timeoutSeconds"])


def container_limit(container: dict[str, Any], resource: str) -> str | None:
    """``resources.limits[resource]`` of a container dict as written, or None when there is no limit:
    unset, or zero, which the API accepts and which means no limit."""
    value = as_dict(as_dict(container.get("resources")).get("limits")).get(resource)
    if not value or quantity.is_zero(str(value)):
        return None
    return str(value)


def pod_ready(pod: dict[str, Any]) -> bool:
    """The kubelet's Ready condition on a pod: every container passes its readiness probe."""
    return any(as_dict(condition).get("type") == "Ready" and as_dict(condition).get("status") == "True"
               for condition in as_list(as_dict(pod.get("status")).get("conditions")))
