"""Render a typed ``Remedy`` into a strategic-merge patch on the owner's pod template. Pure.

Each remedy touches only the fields it needs, inside ``containers[name]`` (merged by name) or the
template's ``imagePullSecrets``. Remedies that need a person's judgement (a missing ConfigMap, a new
command) render no patch. The model never writes a patch: this module is the only author.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kubesent import k8s, objects, qos, quantity
from kubesent.diagnosis.schema import Remedy, RemedyKind
from kubesent.evidence import templates
from kubesent.evidence.model import Owner
from kubesent.evidence.rollout import Rollout
from kubesent.ledger import Remediation

_PROBE_TIMINGS = (("probe_initial_delay_seconds", "initialDelaySeconds"), ("probe_timeout_seconds", "timeoutSeconds"),
                  ("probe_period_seconds", "periodSeconds"), ("probe_failure_threshold", "failureThreshold"))


def template_container(owner: Owner, name: str | None) -> tuple[str, dict[str, Any]] | None:
    """``(section, container)`` of a container in the owner's current pod template."""
    return templates.find_container(owner.template.get("spec"), name)


def _wrap(owner: Owner, template_spec_patch: dict[str, Any]) -> dict[str, Any]:
    patch: dict[str, Any] = {"spec": template_spec_patch}
    for part in reversed(templates.template_path(owner.kind)):
        patch = {part: patch}
    return patch


Change = tuple[dict[str, Any], dict[str, Any]]
"""(the change inside one container, the values it replaces)."""


def _memory_change(remedy: Remedy, container: dict[str, Any]) -> Change | None:
    resources = objects.as_dict(container.get("resources"))
    change: dict[str, Any] = {}
    previous: dict[str, Any] = {}
    if remedy.memory_limit:
        change.setdefault("limits", {})["memory"] = remedy.memory_limit
        previous["memory_limit"] = objects.as_dict(resources.get("limits")).get("memory")
    if remedy.memory_request:
        change.setdefault("requests", {})["memory"] = remedy.memory_request
        previous["memory_request"] = objects.as_dict(resources.get("requests")).get("memory")
    return ({"resources": change}, previous) if change else None


def _cpu_change(remedy: Remedy, container: dict[str, Any]) -> Change | None:
    if not remedy.cpu_limit:
        return None
    limits = objects.as_dict(objects.as_dict(container.get("resources")).get("limits"))
    return {"resources": {"limits": {"cpu": remedy.cpu_limit}}}, {"cpu_limit": limits.get("cpu")}


def _image_change(remedy: Remedy, container: dict[str, Any]) -> Change | None:
    return ({"image": remedy.image}, {"image": container.get("image")}) if remedy.image else None


def _probe_change(remedy: Remedy, container: dict[str, Any]) -> Change | None:
    if not remedy.probe:
        return None
    field = k8s.PROBE_FIELDS[remedy.probe]
    probe = container.get(field)
    if not isinstance(probe, dict):
        return None
    change: dict[str, Any] = {}
    previous: dict[str, Any] = {}
    for attribute, key in _PROBE_TIMINGS:
        value = getattr(remedy, attribute)
        if value is not None:
            change[key] = value
            previous[f"{field}.{key}"] = probe.get(key)
    handler = next((h for h in ("httpGet", "tcpSocket", "grpc") if isinstance(probe.get(h), dict)), None)
    if handler and remedy.probe_port is not None:
        change.setdefault(handler, {})["port"] = remedy.probe_port
        previous[f"{field}.{handler}.port"] = probe[handler].get("port")
    if handler == "httpGet" and remedy.probe_path is not None:
        change.setdefault(handler, {})["path"] = remedy.probe_path
        previous[f"{field}.httpGet.path"] = probe[handler].get("path")
    return ({field: change}, previous) if change else None


# The remedies that edit one container, and how each renders its change. The others render no patch.
_CONTAINER_CHANGES: dict[RemedyKind, Callable[[Remedy, dict[str, Any]], Change | None]] = {
    RemedyKind.RAISE_MEMORY_LIMIT: _memory_change,
    RemedyKind.RAISE_CPU_LIMIT: _cpu_change,
    RemedyKind.FIX_IMAGE_REFERENCE: _image_change,
    RemedyKind.FIX_PROBE: _probe_change,
}


def _container_change(owner: Owner, remedy: Remedy) -> Change | None:
    """(change inside the container, previous values) for remedies that edit one container."""
    renderer = _CONTAINER_CHANGES.get(remedy.kind)
    found = template_container(owner, remedy.container)
    if renderer is None or found is None:
        return None
    return renderer(remedy, found[1])


def render(remedy: Remedy, owner: Owner, *, rollout: Rollout | None = None) -> tuple[dict[str, Any] | None,
                                                                                   dict[str, Any]]:
    """The patch on ``owner`` and the values it replaces; ``(None, {})`` when nothing can be rendered.

    A rollback restores the previous revision's whole pod template (``$patch: replace``, as ``kubectl
    rollout undo`` replaces it); its env values read as a placeholder, so the rendered patch is for a
    person to read and approve, and the write re-reads the live ReplicaSet."""
    if remedy.kind is RemedyKind.ROLLBACK_ROLLOUT:
        if rollout is None or rollout.previous is None:
            return None, {}
        return ({"spec": {"template": {"$patch": "replace", **rollout.previous.template}}},
                {"revision": rollout.current.number, "replicaSet": rollout.current.name,
                 "images": list(rollout.current.images())})
    if remedy.kind is RemedyKind.ADD_IMAGE_PULL_SECRET and remedy.image_pull_secret:
        existing = (owner.template.get("spec") or {}).get("imagePullSecrets") or []
        return (_wrap(owner, {"imagePullSecrets": [{"name": remedy.image_pull_secret}]}),
                {"imagePullSecrets": [s.get("name") for s in existing if isinstance(s, dict)]})
    change = _container_change(owner, remedy)
    if change is None:
        return None, {}
    found = template_container(owner, remedy.container)
    assert found is not None  # _container_change found it
    section, container = found
    body, previous = change
    if owner.kind == "Pod" and remedy.kind is RemedyKind.RAISE_MEMORY_LIMIT:
        body, previous = _keep_qos(owner, container, body, previous)
    return _wrap(owner, {section: [{"name": remedy.container, **body}]}), previous


def _keep_qos(owner: Owner, container: dict[str, Any], body: dict[str, Any],
              previous: dict[str, Any]) -> Change:
    """A bare Pod is resized in place, and a resize may not change its QoS class (FACTS.md §9)."""
    resources = qos.keep_class(objects.as_dict(owner.template.get("spec")), body["resources"])
    if "memory" in objects.as_dict(resources.get("requests")) and "memory_request" not in previous:
        current = objects.as_dict(objects.as_dict(container.get("resources")).get("requests"))
        previous = {**previous, "memory_request": current.get("memory")}
    return {**body, "resources": resources}, previous


def is_noop(patch: dict[str, Any], owner: Owner) -> bool:
    """True when the owner's template already has every value the patch sets."""
    target: Any = {"spec": owner.template.get("spec") or {}}
    inner: Any = patch
    for part in templates.template_path(owner.kind):
        inner = inner.get(part, {})
    return _contains(target, inner)


def _contains(current: Any, wanted: Any) -> bool:
    if isinstance(wanted, dict):
        return isinstance(current, dict) and all(_contains(current.get(k), v) for k, v in wanted.items())
    if isinstance(wanted, list) and all(isinstance(i, dict) and "name" in i for i in wanted):
        named = {i.get("name"): i for i in current or [] if isinstance(i, dict)} if isinstance(current, list) else {}
        return all(item["name"] in named and _contains(named[item["name"]], item) for item in wanted)
    return bool(current == wanted)


def already_satisfied(remedy: Remedy, owner: Owner) -> bool:
    """True when a raise remedy asks for no more than the owner's template already has.

    The template may have moved on since the failing pod was created (a person or an earlier fix
    raised it); a raise must never become a cut.
    """
    found = template_container(owner, remedy.container)
    if found is None:
        return False
    memory_limit, cpu_limit = k8s.container_limit(found[1], "memory"), k8s.container_limit(found[1], "cpu")
    try:
        if remedy.kind is RemedyKind.RAISE_MEMORY_LIMIT and remedy.memory_limit and memory_limit:
            return quantity.parse_bytes(memory_limit) >= quantity.parse_bytes(remedy.memory_limit)
        if remedy.kind is RemedyKind.RAISE_CPU_LIMIT and remedy.cpu_limit and cpu_limit:
            return quantity.parse_millicores(cpu_limit) >= quantity.parse_millicores(remedy.cpu_limit)
    except quantity.QuantityError:
        return False
    return False


def total_factor(remedy: Remedy, owner: Owner, last: Remediation | None) -> float:
    """How far this raise, on top of KubeSent's earlier raises of the same kind (from the ledger, not
    from the workload's own annotations, which its editors can change), takes the limit."""
    found = template_container(owner, remedy.container)
    if found is None:
        return 1.0
    memory_limit, cpu_limit = k8s.container_limit(found[1], "memory"), k8s.container_limit(found[1], "cpu")
    try:
        if remedy.kind is RemedyKind.RAISE_MEMORY_LIMIT and remedy.memory_limit and memory_limit:
            step = quantity.parse_bytes(remedy.memory_limit) / max(1, quantity.parse_bytes(memory_limit))
        elif remedy.kind is RemedyKind.RAISE_CPU_LIMIT and remedy.cpu_limit and cpu_limit:
            step = quantity.parse_millicores(remedy.cpu_limit) / max(1, quantity.parse_millicores(cpu_limit))
        else:
            return 1.0
    except quantity.QuantityError:
        return 1.0
    earlier = last.total_factor if last is not None and last.remedy == remedy.kind.value else 1.0
    return float(earlier * step)
