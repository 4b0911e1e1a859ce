"""Render a typed ``Remedy`` into a strategic-merge patch on the owner's pod template. Pure.

Each remedy touches only the fields it needs, inside ``containers[name]`` (merged by name) or the
template's ``imagePullSecrets``. Remedies that need a person's judgement (a missing ConfigMap, a new
command) render no patch. The model never writes a patch: this module is the only author.
"""

from __future__ import annotations

from typing import Any

from kubesent import objects, quantity
from kubesent.diagnosis.schema import Remedy, RemedyKind
from kubesent.evidence import templates
from kubesent.evidence.model import Owner
from kubesent.ledger import Remediation

_PROBE_FIELDS = {"liveness": "livenessProbe", "readiness": "readinessProbe", "startup": "startupProbe"}
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


def _container_change(owner: Owner, remedy: Remedy) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """(change inside the container, previous values) for remedies that edit one container."""
    found = template_container(owner, remedy.container)
    if found is None:
        return None
    _, container = found
    resources = container.get("resources") or {}
    limits, requests = resources.get("limits") or {}, resources.get("requests") or {}
    if remedy.kind is RemedyKind.RAISE_MEMORY_LIMIT:
        change: dict[str, Any] = {}
        previous: dict[str, Any] = {}
        if remedy.memory_limit:
            change.setdefault("limits", {})["memory"] = remedy.memory_limit
            previous["memory_limit"] = limits.get("memory")
        if remedy.memory_request:
            change.setdefault("requests", {})["memory"] = remedy.memory_request
            previous["memory_request"] = requests.get("memory")
        return ({"resources": change}, previous) if change else None
    if remedy.kind is RemedyKind.RAISE_CPU_LIMIT and remedy.cpu_limit:
        return {"resources": {"limits": {"cpu": remedy.cpu_limit}}}, {"cpu_limit": limits.get("cpu")}
    if remedy.kind is RemedyKind.FIX_IMAGE_REFERENCE and remedy.image:
        return {"image": remedy.image}, {"image": container.get("image")}
    if remedy.kind is RemedyKind.FIX_PROBE and remedy.probe:
        field = _PROBE_FIELDS[remedy.probe]
        probe = container.get(field)
        if not isinstance(probe, dict):
            return None
        probe_change: dict[str, Any] = {}
        previous = {}
        for attribute, key in _PROBE_TIMINGS:
            value = getattr(remedy, attribute)
            if value is not None:
                probe_change[key] = value
                previous[f"{field}.{key}"] = probe.get(key)
        handler = next((h for h in ("httpGet", "tcpSocket", "grpc") if isinstance(probe.get(h), dict)), None)
        if handler and remedy.probe_port is not None:
            probe_change.setdefault(handler, {})["port"] = remedy.probe_port
            previous[f"{field}.{handler}.port"] = probe[handler].get("port")
        if handler == "httpGet" and remedy.probe_path is not None:
            probe_change.setdefault(handler, {})["path"] = remedy.probe_path
            previous[f"{field}.httpGet.path"] = probe[handler].get("path")
        return ({field: probe_change}, previous) if probe_change else None
    return None


def render(remedy: Remedy, owner: Owner) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """The patch on ``owner`` and the values it replaces; ``(None, {})`` when nothing can be rendered."""
    if remedy.kind is RemedyKind.ADD_IMAGE_PULL_SECRET and remedy.image_pull_secret:
        existing = (owner.template.get("spec") or {}).get("imagePullSecrets") or []
        return (_wrap(owner, {"imagePullSecrets": [{"name": remedy.image_pull_secret}]}),
                {"imagePullSecrets": [s.get("name") for s in existing if isinstance(s, dict)]})
    change = _container_change(owner, remedy)
    if change is None:
        return None, {}
    found = template_container(owner, remedy.container)
    assert found is not None  # _container_change found it
    section, _ = found
    body, previous = change
    return _wrap(owner, {section: [{"name": remedy.container, **body}]}), previous


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
    limits = ((found[1].get("resources") or {}).get("limits")) or {}
    try:
        if remedy.kind is RemedyKind.RAISE_MEMORY_LIMIT and remedy.memory_limit and limits.get("memory"):
            return quantity.parse_bytes(limits["memory"]) >= quantity.parse_bytes(remedy.memory_limit)
        if remedy.kind is RemedyKind.RAISE_CPU_LIMIT and remedy.cpu_limit and limits.get("cpu"):
            return quantity.parse_millicores(limits["cpu"]) >= quantity.parse_millicores(remedy.cpu_limit)
    except quantity.QuantityError:
        return False
    return False


def total_factor(remedy: Remedy, owner: Owner, last: Remediation | None) -> float:
    """How far this raise, on top of KubeSent's earlier raises of the same kind (from the ledger, not
    from the workload's own annotations, which its editors can change), takes the limit."""
    found = template_container(owner, remedy.container)
    if found is None:
        return 1.0
    limits = objects.as_dict(objects.as_dict(found[1].get("resources")).get("limits"))
    try:
        if remedy.kind is RemedyKind.RAISE_MEMORY_LIMIT and remedy.memory_limit and limits.get("memory"):
            step = quantity.parse_bytes(remedy.memory_limit) / max(1, quantity.parse_bytes(str(limits["memory"])))
        elif remedy.kind is RemedyKind.RAISE_CPU_LIMIT and remedy.cpu_limit and limits.get("cpu"):
            step = quantity.parse_millicores(remedy.cpu_limit) / max(1, quantity.parse_millicores(str(limits["cpu"])))
        else:
            return 1.0
    except quantity.QuantityError:
        return 1.0
    earlier = last.total_factor if last is not None and last.remedy == remedy.kind.value else 1.0
    return float(earlier * step)
