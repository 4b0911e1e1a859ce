"""Pod templates: where a workload keeps the template it stamps pods from, and what is in it. Pure.

Used by the evidence readers, the rules and the remedies. Never calls the cluster.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from kubesent.objects import as_dict, as_list

TEMPLATE_HASH_LABELS = ("pod-template-hash", "controller-revision-hash")


def template_of(obj: dict[str, Any]) -> dict[str, Any]:
    """The pod template (``{"metadata", "spec"}``) an object stamps pods from; a Pod is its own."""
    kind = obj.get("kind")
    spec = as_dict(obj.get("spec"))
    if kind == "Pod":
        return {"metadata": as_dict(obj.get("metadata")), "spec": spec}
    if kind == "CronJob":
        return as_dict(as_dict(as_dict(spec.get("jobTemplate")).get("spec")).get("template"))
    return as_dict(spec.get("template"))


def find_container(spec: Any, name: str | None) -> tuple[str, dict[str, Any]] | None:
    """``(section, container)`` of the container called ``name`` in a pod spec, regular or init."""
    for section in ("containers", "initContainers"):
        for container in as_list(as_dict(spec).get(section)):
            if isinstance(container, dict) and container.get("name") == name:
                return section, container
    return None


def template_path(kind: str) -> tuple[str, ...]:
    """Where the pod template sits in an object of this kind."""
    if kind == "Pod":
        return ()
    if kind == "CronJob":
        return ("spec", "jobTemplate", "spec", "template")
    return ("spec", "template")


def template_hash(pod: dict[str, Any], owner: dict[str, Any], *, proven: str | None = None) -> str:
    """The template version: proven by the owner chain, else the controller's label on the pod,
    else a digest of the owner's template."""
    if proven:
        return proven
    labels = as_dict(as_dict(pod.get("metadata")).get("labels"))
    for label in TEMPLATE_HASH_LABELS:
        if labels.get(label):
            return str(labels[label])[:63]
    canonical = json.dumps(template_of(owner).get("spec") or {}, sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:10]


def template_managers(obj: dict[str, Any], *, operation: str | None = None) -> tuple[str, ...]:
    """Field managers that have written the pod template (or a Pod's spec); only those whose write was
    ``operation`` (``Apply`` for server-side apply) when given."""
    path = template_path(str(obj.get("kind", "")))
    managers: list[str] = []
    for entry in (obj.get("metadata") or {}).get("managedFields") or []:
        if not isinstance(entry, dict) or (operation is not None and entry.get("operation") != operation):
            continue
        fields: Any = entry.get("fieldsV1") or {}
        for part in path or ("spec",):
            fields = fields.get(f"f:{part}") if isinstance(fields, dict) else None
        if fields is not None and entry.get("manager") and entry["manager"] not in managers:
            managers.append(str(entry["manager"]))
    return tuple(managers)


def selector_matches(selector: dict[str, Any], labels: dict[str, Any]) -> bool:
    """A LabelSelector (matchLabels and matchExpressions) against labels. An empty selector matches
    nothing: apps/v1 and batch/v1 controllers always set one, so none means the object is not shaped
    like theirs."""
    match_labels = as_dict(selector.get("matchLabels"))
    expressions = [e for e in as_list(selector.get("matchExpressions")) if isinstance(e, dict)]
    if not match_labels and not expressions:
        return False
    if any(labels.get(key) != value for key, value in match_labels.items()):
        return False
    return all(_expression_matches(expression, labels) for expression in expressions)


def _expression_matches(expression: dict[str, Any], labels: dict[str, Any]) -> bool:
    key, operator = expression.get("key"), expression.get("operator")
    values = [str(v) for v in as_list(expression.get("values"))]
    if operator == "In":
        return key in labels and str(labels[key]) in values
    if operator == "NotIn":
        return key not in labels or str(labels[key]) not in values
    if operator == "Exists":
        return key in labels
    if operator == "DoesNotExist":
        return key not in labels
    return False
