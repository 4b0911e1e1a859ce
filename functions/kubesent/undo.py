"""KubeSent's undo record on a workload, and the restore it allows. Pure: no I/O.

Every limit raise KubeSent writes to a workload (automatic or approved) carries, in the same update,
``kubesent.dev/undo.<memory|cpu>: "<container>:<old>:<new>"``. The admission policy
(``exporter-config/kubesent-rbac/patch-scope-policy.yaml``) checks that ``old`` and ``new`` are exactly the
values that update replaces and writes, so the record cannot be forged by KubeSent itself. The one lowering of
a limit the policy allows is the restore: ``new`` back to ``old``, while the limit still is ``new``, with the
record dropped in the same update, so it is used once. The verifier (``verify``) writes it.

Probe timing is recorded the same way, one record per field: ``kubesent.dev/undo.<probe>.<field>:
"<container>:<old>:<new>"`` (``kubesent.dev/undo.livenessProbe.initialDelaySeconds: "app:10:51"``), the values as
the kubelet uses them (an unset field is the API's default). A probe change that also moves a handler's port or
path, and any image or pull-secret change, carries none: its undo is a person's (the verifier escalates).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kubesent import k8s, objects
from kubesent.evidence import templates

PREFIX = "kubesent.dev/undo."
REVERTED = "kubesent.dev/reverted"
# ``previous`` names the fields the way remedies.render records them; the annotation names the limit.
RESOURCES = {"memory_limit": "memory", "cpu_limit": "cpu"}


# Every field an undo record may name: the two limits, and each probe's timing fields.
PROBE_TIMINGS = tuple(f"{probe}.{field}" for probe in k8s.PROBE_FIELDS.values() for field in k8s.PROBE_TIMING_DEFAULTS)
RECORDED = (*RESOURCES.values(), *PROBE_TIMINGS)


@dataclass(frozen=True)
class Change:
    container: str
    resource: str
    """``memory`` or ``cpu`` (a limit), or ``<probe>.<field>`` (a probe's timing)."""
    old: str
    new: str

    @property
    def annotation(self) -> str:
        return f"{self.container}:{self.old}:{self.new}"


def planned(*, kind: str, patch: dict[str, Any], previous: dict[str, Any], container: str | None) -> list[Change]:
    """The undo records of a patch: one per limit it raises in ``container`` over a value that existed."""
    if not container or kind == "Pod":
        return []
    patched = _container(patch, kind, container) or {}
    limits = objects.as_dict(objects.as_dict(patched.get("resources")).get("limits"))
    changes = []
    for field, resource in RESOURCES.items():
        old, new = previous.get(field), limits.get(resource)
        if isinstance(old, str) and old and isinstance(new, str) and new:
            changes.append(Change(container=container, resource=resource, old=old, new=new))
    for probe in k8s.PROBE_FIELDS.values():
        change = objects.as_dict(patched.get(probe))
        if not change or set(change) - set(k8s.PROBE_TIMING_DEFAULTS):
            continue  # no probe change, or one that moves a handler too: no automatic undo
        for field, value in change.items():
            was = previous.get(f"{probe}.{field}")
            old_value = was if isinstance(was, int) and not isinstance(was, bool) and was else \
                k8s.PROBE_TIMING_DEFAULTS[field]
            if isinstance(value, int) and not isinstance(value, bool):
                changes.append(Change(container=container, resource=f"{probe}.{field}", old=str(old_value),
                                      new=str(value)))
    return changes


def as_annotations(changes: list[Change]) -> dict[str, str]:
    return {PREFIX + change.resource: change.annotation for change in changes}


def parse(annotations: dict[str, str]) -> list[Change]:
    """The undo records on a workload; malformed ones are skipped (anyone may edit annotations, and the
    policy judges a restore by the record it finds, not by what this parser makes of it)."""
    found = []
    for resource in RECORDED:
        parts = str(annotations.get(PREFIX + resource) or "").split(":")
        if len(parts) == 3 and all(parts):
            found.append(Change(container=parts[0], resource=resource, old=parts[1], new=parts[2]))
    return found


def restore_patch(kind: str, changes: list[Change], *, resource_version: str, note: str) -> dict[str, Any]:
    """The strategic-merge patch that writes each change's ``old`` back and drops its record."""
    by_container: dict[str, dict[str, Any]] = {}
    for change in changes:
        restored = by_container.setdefault(change.container, {"name": change.container})
        if change.resource in RESOURCES.values():
            restored.setdefault("resources", {}).setdefault("limits", {})[change.resource] = change.old
        else:
            probe, field = change.resource.split(".", 1)
            restored.setdefault(probe, {})[field] = int(change.old)
    patch: dict[str, Any] = {"spec": {"containers": [by_container[name] for name in sorted(by_container)]}}
    for part in reversed(templates.template_path(kind)):
        patch = {part: patch}
    dropped: dict[str, str | None] = {PREFIX + change.resource: None for change in changes}
    return {**patch, "metadata": {"resourceVersion": resource_version,
                                  "annotations": {**dropped, REVERTED: note}}}


def current_value(workload: dict[str, Any], kind: str, *, container: str, resource: str) -> str | None:
    """What a change's field holds in a workload's live template: a limit as the server stores it, a probe's
    timing as the kubelet uses it; None when the container, the limit or the probe is gone."""
    found = _container(workload, kind, container)
    if found is None:
        return None
    if resource in RESOURCES.values():
        value = objects.as_dict(objects.as_dict(found.get("resources")).get("limits")).get(resource)
        return str(value) if value is not None else None
    probe, field = resource.split(".", 1)
    live = found.get(probe)
    return str(k8s.probe_timing(live, field)) if isinstance(live, dict) else None


def _container(obj: dict[str, Any], kind: str, name: str) -> dict[str, Any] | None:
    """A regular container of the pod template in a workload, or in a patch of one (which names no kind)."""
    template: Any = obj
    for part in templates.template_path(kind):
        template = objects.as_dict(template).get(part)
    found = templates.find_container(objects.as_dict(template).get("spec"), name)
    return found[1] if found is not None and found[0] == "containers" else None
