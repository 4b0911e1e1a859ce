"""The pod `resize` subresource's strategy (Kubernetes 1.33+, FACTS.md §9). Pure.

Of the patched pod only `spec.containers[*].resources` (and `resizePolicy`) are kept, and a change of
the pod's QoS class is refused with 422, as the apiserver does. Called by the store's write path; the
kubelet's answer is `kubelet.Kubelet`.
"""
from __future__ import annotations

import copy
from typing import Any

from local_emulator.kube_sandbox import errors
from local_emulator.kube_sandbox.quantities import quantity_bytes

_QOS_RESOURCES = ("cpu", "memory")


def qos_class(spec: dict[str, Any]) -> str:
    """pkg/apis/core/helper/qos: Guaranteed, Burstable or BestEffort (a request defaults to its limit)."""
    containers = [c for section in ("initContainers", "containers") for c in spec.get(section) or []]
    any_set, guaranteed = False, bool(containers)
    for container in containers:
        resources = container.get("resources") or {}
        limits, requests = resources.get("limits") or {}, resources.get("requests") or {}
        for name in _QOS_RESOURCES:
            limit = quantity_bytes(limits.get(name))
            request = quantity_bytes(requests.get(name))
            any_set = any_set or bool(limit) or bool(request)
            if not limit or (request is not None and request != limit):
                guaranteed = False
    if guaranteed:
        return "Guaranteed"
    return "Burstable" if any_set else "BestEffort"


def apply(current: dict[str, Any], patched: dict[str, Any]) -> dict[str, Any]:
    """The pod after a resize: only the containers' resources (and resizePolicy) move."""
    result = copy.deepcopy(current)
    wanted = {c.get("name"): c for c in (patched.get("spec") or {}).get("containers") or []}
    for container in (result.get("spec") or {}).get("containers") or []:
        source = wanted.get(container.get("name"))
        if source is None:
            continue
        for field in ("resources", "resizePolicy"):
            if field in source:
                container[field] = copy.deepcopy(source[field])
            else:
                container.pop(field, None)
    # The precondition travels in metadata; nothing else of it is written by a resize.
    version = (patched.get("metadata") or {}).get("resourceVersion")
    if version:
        result["metadata"]["resourceVersion"] = version
    before, after = qos_class(current.get("spec") or {}), qos_class(result.get("spec") or {})
    if before != after:
        raise errors.invalid(kind="Pod", name=current["metadata"]["name"], detail=(
            f"spec: Invalid value: \"{after}\": Pod QOS Class may not change as a result of resizing "
            f"(was {before})"))
    return result
