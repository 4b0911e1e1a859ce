"""The typed remedy behind a stored proposal, read back from its rendered patch. Pure.

An approval must re-run the policy on the remedy the person saw, so it rebuilds that ``Remedy`` from
the proposal's patch (the only author of which is ``remedies.render``) and renders it again on the
workload as it is now: a different patch or different old values mean the workload changed.
Called by ``approval``.
"""

from __future__ import annotations

from typing import Any

from kubesent import k8s
from kubesent.diagnosis.schema import Remedy, RemedyKind
from kubesent.objects import as_dict

_PROBES = {field: name for name, field in k8s.PROBE_FIELDS.items()}
_TIMINGS = {"initialDelaySeconds": "probe_initial_delay_seconds", "timeoutSeconds": "probe_timeout_seconds",
            "periodSeconds": "probe_period_seconds", "failureThreshold": "probe_failure_threshold"}


def _template_spec(patch: dict[str, Any]) -> dict[str, Any]:
    """The pod-template spec inside a patch of any workload kind (``spec.template.spec``, CronJob's deeper)."""
    node = as_dict(patch)
    while "template" not in as_dict(node.get("spec")) and "jobTemplate" in as_dict(node.get("spec")):
        node = as_dict(as_dict(node.get("spec")).get("jobTemplate"))
    return as_dict(as_dict(as_dict(node.get("spec")).get("template")).get("spec"))


def from_patch(kind: str, patch: dict[str, Any]) -> Remedy | None:
    """The remedy ``remedies.render`` turned into ``patch``, or None when the patch is not one of its shapes."""
    spec = _template_spec(patch)
    try:
        remedy_kind = RemedyKind(kind)
    except ValueError:
        return None
    if remedy_kind is RemedyKind.ROLLBACK_ROLLOUT:
        template = as_dict(as_dict(patch.get("spec")).get("template"))
        return Remedy(kind=remedy_kind) if template.get("$patch") == "replace" else None
    if remedy_kind is RemedyKind.ADD_IMAGE_PULL_SECRET:
        names = [as_dict(item).get("name") for item in spec.get("imagePullSecrets") or []]
        return Remedy(kind=remedy_kind, image_pull_secret=str(names[0])) if len(names) == 1 else None
    containers = [as_dict(c) for section in ("containers", "initContainers") for c in spec.get(section) or []]
    if len(containers) != 1:
        return None
    container = containers[0]
    fields: dict[str, Any] = {"kind": remedy_kind, "container": container.get("name")}
    resources = as_dict(container.get("resources"))
    limits, requests = as_dict(resources.get("limits")), as_dict(resources.get("requests"))
    if remedy_kind is RemedyKind.RAISE_MEMORY_LIMIT:
        fields |= {"memory_limit": limits.get("memory"), "memory_request": requests.get("memory")}
    elif remedy_kind is RemedyKind.RAISE_CPU_LIMIT:
        fields["cpu_limit"] = limits.get("cpu")
    elif remedy_kind is RemedyKind.FIX_IMAGE_REFERENCE:
        fields["image"] = container.get("image")
    elif remedy_kind is RemedyKind.FIX_PROBE:
        probes = [field for field in _PROBES if field in container]
        if len(probes) != 1:
            return None
        probe = as_dict(container[probes[0]])
        fields["probe"] = _PROBES[probes[0]]
        fields |= {attribute: probe[key] for key, attribute in _TIMINGS.items() if key in probe}
        handler = next((as_dict(probe[h]) for h in ("httpGet", "tcpSocket", "grpc") if h in probe), {})
        fields |= {"probe_port": handler.get("port"), "probe_path": handler.get("path")}
    else:
        return None
    return Remedy(**{name: value for name, value in fields.items() if value is not None})
