"""A pod's QoS class from its spec, and the memory change that keeps it (FACTS.md §9). Pure.

An in-place resize may not change the pod's QoS class: the API server refuses it. A Guaranteed pod has
requests equal to limits for CPU and memory in every container, so its memory request must move with the
limit; a Burstable pod stays Burstable when only a limit grows. Called by ``remedies`` (a bare Pod's
patch) and by ``cluster.memory`` (replay's in-memory resize).
"""

from __future__ import annotations

from typing import Any, Literal

from kubesent import quantity
from kubesent.objects import as_dict, as_list

QosClass = Literal["Guaranteed", "Burstable", "BestEffort"]
# core/v1 PodQOSClass: computed from these two resources only (pkg/apis/core/helper/qos).
QOS_RESOURCES = ("cpu", "memory")


def _set(value: Any) -> bool:
    return value is not None and str(value) != "" and not quantity.is_zero(str(value))


def _equal(resource: str, left: Any, right: Any) -> bool:
    parse = quantity.parse_bytes if resource == "memory" else quantity.parse_millicores
    try:
        return bool(parse(str(left)) == parse(str(right)))
    except quantity.QuantityError:
        return str(left) == str(right)


def qos_class(spec: dict[str, Any]) -> QosClass:
    """The QoS class the API server computes for a pod spec; an unset request defaults to its limit."""
    containers = [c for section in ("initContainers", "containers") for c in as_list(as_dict(spec).get(section))
                  if isinstance(c, dict)]
    any_set = False
    guaranteed = bool(containers)
    for container in containers:
        resources = as_dict(container.get("resources"))
        limits, requests = as_dict(resources.get("limits")), as_dict(resources.get("requests"))
        for resource in QOS_RESOURCES:
            limit, request = limits.get(resource), requests.get(resource)
            any_set = any_set or _set(limit) or _set(request)
            if not _set(limit) or (_set(request) and not _equal(resource, request, limit)):
                guaranteed = False
    if guaranteed:
        return "Guaranteed"
    return "Burstable" if any_set else "BestEffort"


def keep_class(spec: dict[str, Any], resources_change: dict[str, Any]) -> dict[str, Any]:
    """``resources_change`` (``{"limits": {"memory": X}}``) extended so the pod keeps its class: for a
    Guaranteed pod the memory request moves with the limit."""
    limits = as_dict(resources_change.get("limits"))
    if qos_class(spec) != "Guaranteed" or "memory" not in limits:
        return resources_change
    requests = {**as_dict(resources_change.get("requests")), "memory": limits["memory"]}
    return {**resources_change, "requests": requests}
