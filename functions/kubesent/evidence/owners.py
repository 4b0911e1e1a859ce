"""Owner chains and pod templates: which object to patch for a failing pod, and who else manages it.

Pod → ReplicaSet → Deployment, Pod → StatefulSet | DaemonSet, Pod → Job → CronJob, or a bare Pod
(DESIGN.md principle 5: fix the owner, never the pod). Reads through ``cluster.api.Reader``; pure
otherwise. Called by ``evidence.gather``; the pure template helpers are in ``evidence.templates``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kubesent import errors
from kubesent.cluster.api import Reader
from kubesent.evidence import templates
from kubesent.objects import as_dict

FOLLOWED_KINDS = {"ReplicaSet": "apps/v1", "Deployment": "apps/v1", "StatefulSet": "apps/v1",
                  "DaemonSet": "apps/v1", "Job": "batch/v1", "CronJob": "batch/v1"}
# Which controller kinds may own which objects. A Deployment owns pods only through a ReplicaSet (its
# controller groups pods by ReplicaSet uid); a pod naming a Deployment directly is not its pod.
_OWNERS_OF = {"Pod": frozenset({"ReplicaSet", "StatefulSet", "DaemonSet", "Job"}),
              "ReplicaSet": frozenset({"Deployment"}), "Job": frozenset({"CronJob"})}
# Owner chains are at most Pod → ReplicaSet → Deployment (or Job → CronJob); more is a loop or a CRD stack.
MAX_CHAIN = 4


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
        current_kind = str(current.get("kind") or "Pod")
        if kind not in _OWNERS_OF.get(current_kind, frozenset()):
            return Resolution(chain, current, ref, template_hash,
                              unverified=f"a {kind} does not own a {current_kind} directly (a Deployment owns pods "
                                         "only through a ReplicaSet)")
        if not ref.get("uid"):
            return Resolution(chain, current, ref, template_hash,
                              unverified=f"the pod's reference to {kind} {name} names no uid")
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
        if ref.get("uid") != owner_uid:
            return Resolution(chain, current, ref, template_hash,
                              unverified=f"the {kind} {name} the pod names has another uid: not its owner")
        mismatch = _pod_mismatch(pod, owner, first_hop=current is pod)
        if mismatch is not None:
            return Resolution(chain, current, ref, template_hash, unverified=mismatch)
        if kind == "ReplicaSet" and current is pod:
            labels = as_dict(as_dict(owner.get("metadata")).get("labels"))
            template_hash = str(labels["pod-template-hash"])[:63] if labels.get("pod-template-hash") else None
        current = owner
    return Resolution(chain, current, None, template_hash)


def _pod_mismatch(pod: dict[str, Any], owner: dict[str, Any], *, first_hop: bool) -> str | None:
    """Why the pod cannot be the owner's: its labels miss the owner's selector, or (for its ReplicaSet)
    its ``pod-template-hash`` is not the ReplicaSet's. None when it fits."""
    labels = as_dict(as_dict(pod.get("metadata")).get("labels"))
    kind, name = owner.get("kind", ""), as_dict(owner.get("metadata")).get("name", "")
    selector = as_dict(as_dict(owner.get("spec")).get("selector"))
    # A CronJob selects nothing: its Jobs are its own by their ownerReference (checked by uid).
    if kind != "CronJob" and not templates.selector_matches(selector, labels):
        return f"the pod's labels do not match the selector of {kind} {name}"
    if first_hop and kind == "ReplicaSet":
        owner_hash = as_dict(as_dict(owner.get("metadata")).get("labels")).get("pod-template-hash")
        if owner_hash and labels.get("pod-template-hash") != owner_hash:
            return f"the pod's pod-template-hash is not that of ReplicaSet {name}"
    return None


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
