"""Owner chains and pod templates: which object to patch for a failing pod, and who else manages it.

Pod → ReplicaSet → Deployment, Pod → StatefulSet | DaemonSet, Pod → Job → CronJob, or a bare Pod
(DESIGN.md principle 5: fix the owner, never the pod). Reads through ``cluster_api.Reader``; pure
otherwise. Called by ``evidence``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from kubesent import errors
from kubesent.cluster_api import Reader

FOLLOWED_KINDS = {"ReplicaSet": "apps/v1", "Deployment": "apps/v1", "StatefulSet": "apps/v1",
                  "DaemonSet": "apps/v1", "Job": "batch/v1", "CronJob": "batch/v1"}
# Owner chains are at most Pod → ReplicaSet → Deployment (or Job → CronJob); more is a loop or a CRD stack.
MAX_CHAIN = 4
TEMPLATE_HASH_LABELS = ("pod-template-hash", "controller-revision-hash")


def as_dict(value: Any) -> dict[str, Any]:
    """``value`` if it is an object, else empty: bundles are not always shaped like API answers."""
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def controller_ref(obj: dict[str, Any]) -> dict[str, Any] | None:
    """The ownerReference with ``controller: true`` (at most one exists)."""
    for ref in (obj.get("metadata") or {}).get("ownerReferences") or []:
        if isinstance(ref, dict) and ref.get("controller"):
            return ref
    return None


@dataclass(frozen=True)
class Resolution:
    """Where a pod's owner chain leads."""

    chain: list[str]
    """``Kind/name`` from the pod upwards."""
    top: dict[str, Any]
    """The top object KubeSent could read: the patch target, or the pod itself."""
    unfollowed: dict[str, Any] | None
    """A controller reference that could not be followed (a CRD, an operator), if any."""
    template_hash: str | None
    """The template version the pod was stamped from, as its controller recorded it (a ReplicaSet's
    ``pod-template-hash``), when the chain proves it; None otherwise."""
    unverified: str | None = None
    """Why the chain is not proven (a reference whose uid does not match, a guessed Deployment)."""


def resolve_owner(reader: Reader, pod: dict[str, Any]) -> Resolution:
    """Walk controller references upwards from the pod, checking each reference's uid.

    The pod's metadata is written by whoever created the pod: an ownerReference naming another
    team's Deployment must not make that Deployment the patch target. Each hop must match the uid
    the reference names.
    """
    namespace = pod["metadata"].get("namespace", "")
    chain = [f"Pod/{pod['metadata'].get('name', '')}"]
    current = pod
    template_hash: str | None = None
    for _ in range(MAX_CHAIN):
        ref = controller_ref(current)
        if ref is None:
            return Resolution(chain, current, None, template_hash)
        kind, name = str(ref.get("kind", "")), str(ref.get("name", ""))
        chain.append(f"{kind}/{name}")
        if kind not in FOLLOWED_KINDS:
            return Resolution(chain, current, ref, template_hash)
        try:
            owner = reader.read(api_version=FOLLOWED_KINDS[kind], kind=kind, namespace=namespace, name=name)
        except errors.NotFound:
            deployment = _deployment_of_missing_replicaset(reader, pod, kind=kind, name=name)
            if deployment is None:
                # The owner was deleted (a Job was cleaned up, a ReplicaSet pruned): patch nothing above it.
                return Resolution(chain, current, ref, template_hash)
            chain.append(f"Deployment/{deployment['metadata'].get('name', '')}")
            return Resolution(chain, deployment, None, template_hash,
                              unverified=f"ReplicaSet {name} is gone; the Deployment was found by its name only")
        owner_uid = as_dict(owner.get("metadata")).get("uid")
        if ref.get("uid") and owner_uid and ref.get("uid") != owner_uid:
            return Resolution(chain, current, ref, template_hash,
                              unverified=f"the {kind} {name} the pod names has another uid: not its owner")
        if kind == "ReplicaSet" and current is pod:
            labels = as_dict(as_dict(owner.get("metadata")).get("labels"))
            template_hash = str(labels["pod-template-hash"])[:63] if labels.get("pod-template-hash") else None
        current = owner
    return Resolution(chain, current, None, template_hash)


def _deployment_of_missing_replicaset(reader: Reader, pod: dict[str, Any], *, kind: str,
                                      name: str) -> dict[str, Any] | None:
    """The Deployment behind a ReplicaSet that cannot be read, by the controller's naming rule.

    The Deployment controller names a ReplicaSet ``<deployment>-<pod-template-hash>``; the pod carries
    that hash as a label. The Deployment is accepted only if its selector matches the pod's labels.
    """
    labels = (pod.get("metadata") or {}).get("labels") or {}
    template_hash = labels.get("pod-template-hash")
    if kind != "ReplicaSet" or not template_hash or not name.endswith(f"-{template_hash}"):
        return None
    namespace = pod["metadata"].get("namespace", "")
    try:
        deployment = reader.read(api_version="apps/v1", kind="Deployment", namespace=namespace,
                                 name=name[: -len(template_hash) - 1])
    except errors.NotFound:
        return None
    selector = as_dict(as_dict(as_dict(deployment.get("spec")).get("selector")).get("matchLabels"))
    if selector and all(labels.get(key) == value for key, value in selector.items()):
        return deployment
    return None


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


def template_managers(obj: dict[str, Any]) -> tuple[str, ...]:
    """Field managers that have written the pod template (or a Pod's spec)."""
    path = template_path(str(obj.get("kind", "")))
    managers: list[str] = []
    for entry in (obj.get("metadata") or {}).get("managedFields") or []:
        if not isinstance(entry, dict):
            continue
        fields: Any = entry.get("fieldsV1") or {}
        for part in path or ("spec",):
            fields = fields.get(f"f:{part}") if isinstance(fields, dict) else None
        if fields is not None and entry.get("manager") and entry["manager"] not in managers:
            managers.append(str(entry["manager"]))
    return tuple(managers)
