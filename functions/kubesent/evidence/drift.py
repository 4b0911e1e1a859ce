"""Does the failing pod match the template of the workload it names? Pure.

Anyone who can create a pod can give it any labels and ownerReferences, and a LimitRange, a webhook or
a later edit can make a pod differ from its template. A patch on the owner is written only when the
pod is what the owner's template stamps: each container compared whole, and the pod-level spec that
shapes how it runs (service account, security context, host namespaces, the template's volumes).

Fields the API server defaults or that admission adds (the service-account token volume and mount,
termination-message fields, pull policy, resize policy) are normalised away on both sides, so a
bundle hand-made with or without them compares the same. Called by ``evidence.gather``.
"""

from __future__ import annotations

import copy
from typing import Any

from kubesent import k8s, quantity
from kubesent.evidence import templates
from kubesent.objects import as_dict, as_list

# Container fields the API server defaults, the kubelet or admission fills in; not the workload's intent.
_CONTAINER_IGNORED = frozenset({"terminationMessagePath", "terminationMessagePolicy", "imagePullPolicy",
                                "resizePolicy", "resources"})
# Pod-level fields that shape how the container runs, with the value an unset field means.
_POD_COMPARED = {"serviceAccountName": "default", "securityContext": {}, "hostNetwork": False, "hostPID": False,
                 "hostIPC": False, "runtimeClassName": None, "shareProcessNamespace": False,
                 "automountServiceAccountToken": None}
# configMap, secret, downwardAPI and projected volumes default their file mode to 0644.
_DEFAULT_MODE = 420
_PROBE_FIELDS = ("livenessProbe", "readinessProbe", "startupProbe")


def pod_drift(pod: dict[str, Any], owner: dict[str, Any]) -> str | None:
    """Why the pod-level spec differs from the owner's template, or None."""
    if owner is pod or owner.get("kind") == "Pod":
        return None
    mine, theirs = as_dict(pod.get("spec")), as_dict(templates.template_of(owner).get("spec"))
    kind = owner.get("kind")
    for field, default in _POD_COMPARED.items():
        if _unset_to(mine.get(field), default) != _unset_to(theirs.get(field), default):
            return f"the pod's {field} differs from the {kind}'s template"
    pod_volumes = {v.get("name"): v for v in as_list(mine.get("volumes")) if isinstance(v, dict)}
    for volume in as_list(theirs.get("volumes")):
        if not isinstance(volume, dict):
            continue
        name = volume.get("name")
        if name not in pod_volumes or _volume(pod_volumes[name]) != _volume(volume):
            return f"the pod's volume {name} differs from the {kind}'s template"
    return None


def container_drift(pod: dict[str, Any], owner: dict[str, Any], container: str | None) -> str | None:
    """Why a container of the pod differs from the owner's template, or None when it matches."""
    if owner is pod or owner.get("kind") == "Pod" or container is None:
        return None
    found_ours = templates.find_container(pod.get("spec"), container)
    found_theirs = templates.find_container(templates.template_of(owner).get("spec"), container)
    if found_ours is None:
        return None
    kind = owner.get("kind")
    if found_theirs is None:
        return f"container {container} is not in the {kind}'s template (it was injected into the pod)"
    ours, theirs = _container(found_ours[1]), _container(found_theirs[1])
    for field in sorted(set(ours) | set(theirs)):
        if ours.get(field) != theirs.get(field):
            return f"the pod's {field} of container {container} differs from the {kind}'s template"
    return _resources_drift(found_ours[1], found_theirs[1], container=container, kind=str(kind))


def _container(container: dict[str, Any]) -> dict[str, Any]:
    normal = {key: copy.deepcopy(value) for key, value in container.items()
              if key not in _CONTAINER_IGNORED and not _empty(value)}
    for field in _PROBE_FIELDS:
        if isinstance(normal.get(field), dict):
            normal[field] = _probe(normal[field])
    if "ports" in normal:
        normal["ports"] = [{"protocol": "TCP", **port} if isinstance(port, dict) else port
                           for port in as_list(normal["ports"])]
    if "volumeMounts" in normal:
        mounts = [m for m in as_list(normal["volumeMounts"])
                  if not (isinstance(m, dict) and str(m.get("name", "")).startswith(k8s.TOKEN_VOLUME_PREFIX))]
        normal["volumeMounts"] = [_drop_empty(m) for m in mounts]
        if not normal["volumeMounts"]:
            del normal["volumeMounts"]
    if "env" in normal:
        normal["env"] = [_env(item) for item in as_list(normal["env"])]
    return normal


def _probe(probe: dict[str, Any]) -> dict[str, Any]:
    """A probe with the API server's defaults (pkg/apis/core/v1/defaults.go) filled in."""
    normal = _drop_empty(probe)
    for field in k8s.PROBE_TIMING_DEFAULTS:
        normal[field] = k8s.probe_timing(probe, field)
    normal["successThreshold"] = probe.get("successThreshold") or 1
    if isinstance(normal.get("httpGet"), dict):
        normal["httpGet"] = {"scheme": "HTTP", "path": "/", **normal["httpGet"]}
    return normal


def _env(item: Any) -> Any:
    if not isinstance(item, dict):
        return item
    field_ref = as_dict(as_dict(item.get("valueFrom")).get("fieldRef"))
    if field_ref:
        return {**item, "valueFrom": {"fieldRef": {"apiVersion": "v1", **field_ref}}}
    return _drop_empty(item)


def _volume(volume: dict[str, Any]) -> dict[str, Any]:
    normal = _drop_empty(volume)
    for source in ("configMap", "secret", "downwardAPI", "projected"):
        if isinstance(normal.get(source), dict):
            normal[source] = {"defaultMode": _DEFAULT_MODE, **normal[source]}
    return normal


def _resources_drift(ours: dict[str, Any], theirs: dict[str, Any], *, container: str, kind: str) -> str | None:
    my_resources, template_resources = as_dict(ours.get("resources")), as_dict(theirs.get("resources"))
    for section in ("limits", "requests"):
        mine = as_dict(my_resources.get(section))
        template = as_dict(template_resources.get(section))
        for resource in set(mine) | set(template):
            if section == "requests" and resource not in template and _same_quantity(
                    mine.get(resource), as_dict(template_resources.get("limits")).get(resource)):
                continue  # the API server defaults a pod's missing request to its limit
            if not _same_quantity(mine.get(resource), template.get(resource)):
                return (f"the pod's {section}.{resource} of container {container} ({mine.get(resource) or 'unset'}) "
                        f"differs from the {kind}'s template ({template.get(resource) or 'unset'}); a "
                        "LimitRange, a webhook or a later edit set it")
    return None


def _same_quantity(left: Any, right: Any) -> bool:
    if left == right:
        return True
    if left is None or right is None:
        return False
    try:
        return quantity.parse(str(left)) == quantity.parse(str(right))
    except quantity.QuantityError:
        return False


def _empty(value: Any) -> bool:
    return value is None or value is False or value == "" or value == [] or value == {}


def _drop_empty(value: dict[str, Any]) -> dict[str, Any]:
    return {key: item for key, item in value.items() if not _empty(item)}


def _unset_to(value: Any, default: Any) -> Any:
    return default if _empty(value) else value
