"""A Deployment's revisions, from its ReplicaSets: which one the failing pod runs, and the one before. Pure.

The Deployment controller stamps each ReplicaSet with ``deployment.kubernetes.io/revision``; the newest
revision is the rollout in progress (or done). ``kubectl rollout undo`` copies the previous ReplicaSet's
pod template, without its ``pod-template-hash`` label, back into the Deployment (FACTS.md §9). Called
by ``evidence.gather``; read by the rollout rule and the rollback renderer.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from kubesent import k8s
from kubesent.evidence import templates
from kubesent.objects import as_dict

REVISION_ANNOTATION = "deployment.kubernetes.io/revision"
TEMPLATE_HASH_LABEL = "pod-template-hash"
# What an env value reads as in the evidence and in a proposed rollback: the value stays in the cluster.
ENV_VALUE_PLACEHOLDER = "(as in the ReplicaSet)"


@dataclass(frozen=True)
class Revision:
    name: str
    number: int
    replicas: int
    available: int
    created: str
    template: dict[str, Any]
    """The pod template as ``kubectl rollout undo`` would restore it (without the hash label), env values
    replaced by ``ENV_VALUE_PLACEHOLDER``: a rollback is written from the live ReplicaSet, never from this."""
    uid: str = ""

    def images(self) -> tuple[str, ...]:
        containers = as_dict(self.template.get("spec")).get("containers") or []
        return tuple(str(c.get("image", "")) for c in containers if isinstance(c, dict))


@dataclass(frozen=True)
class Rollout:
    current: Revision
    """The revision the failing pod was stamped from."""
    newest: bool
    """The failing pod's revision is the Deployment's newest: the failure came with a rollout."""
    previous: Revision | None
    """The newest revision older than the failing one, if the Deployment still keeps it."""
    older: tuple[Revision, ...] = ()
    """Every revision older than the failing one that the Deployment keeps, newest first
    (``revisionHistoryLimit``, 10 by default): its pod templates are the workload's history."""


def from_replicasets(replica_sets: list[dict[str, Any]], *, failing: str) -> Rollout | None:
    """The rollout around the ReplicaSet called ``failing``, or None when it is not among them."""
    revisions = sorted((r for r in (_revision(obj) for obj in replica_sets) if r is not None),
                       key=lambda r: r.number)
    current = next((r for r in revisions if r.name == failing), None)
    if current is None:
        return None
    older = [r for r in revisions if r.number < current.number]
    return Rollout(current=current, newest=current.number == revisions[-1].number,
                   previous=older[-1] if older else None, older=tuple(reversed(older)))


def earlier_limits(found: Rollout, *, container: str, resource: str) -> tuple[tuple[Revision, str | None], ...]:
    """For each older revision that has ``container``, newest first: the revision and its limit of ``resource``
    as written (None: no limit). A revision without the container (renamed, added later) is left out."""
    result = []
    for revision in found.older:
        located = templates.find_container(as_dict(revision.template.get("spec")), container)
        if located is not None:
            result.append((revision, k8s.container_limit(located[1], resource)))
    return tuple(result)


def restorable_template(replica_set: dict[str, Any]) -> dict[str, Any]:
    """A live ReplicaSet's pod template as ``kubectl rollout undo`` writes it back: whole, env values included,
    without the ``pod-template-hash`` label. For the write only: it never reaches a record, a log or a prompt."""
    template = copy.deepcopy(as_dict(as_dict(replica_set.get("spec")).get("template")))
    labels = as_dict(as_dict(template.get("metadata")).get("labels"))
    labels.pop(TEMPLATE_HASH_LABEL, None)
    return template


def _revision(obj: dict[str, Any]) -> Revision | None:
    metadata, spec, status = as_dict(obj.get("metadata")), as_dict(obj.get("spec")), as_dict(obj.get("status"))
    try:
        number = int(str(as_dict(metadata.get("annotations")).get(REVISION_ANNOTATION, "")))
    except ValueError:
        return None
    template = copy.deepcopy(as_dict(spec.get("template")))
    labels = as_dict(as_dict(template.get("metadata")).get("labels"))
    labels.pop(TEMPLATE_HASH_LABEL, None)
    for section in ("containers", "initContainers"):
        for container in as_dict(template.get("spec")).get(section) or []:
            if isinstance(container, dict):
                # Env values may be secrets: the evidence keeps names; a rollback re-reads the ReplicaSet.
                container["env"] = [_env_name_only(item) for item in container.get("env") or []]
                if not container["env"]:
                    del container["env"]
    return Revision(name=str(metadata.get("name", "")), number=number, uid=str(metadata.get("uid", "")),
                    replicas=_int(spec.get("replicas")),
                    available=_int(status.get("availableReplicas")), created=str(metadata.get("creationTimestamp", "")),
                    template=template)


def _env_name_only(item: Any) -> Any:
    if isinstance(item, dict) and "value" in item:
        return {**item, "value": ENV_VALUE_PLACEHOLDER}
    return item


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0
