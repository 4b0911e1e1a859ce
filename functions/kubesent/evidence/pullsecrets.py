"""Which image pull secret the namespace proves for a registry, without reading a Secret.

KubeSent never reads Secrets (RBAC grants none; it cannot grant metadata only). When the kubelet says a
pull failed for authorisation (``401``, ``403``, ``unauthorized``, ``authentication required``,
``denied`` in its ``Failed`` event, FACTS.md §2), another pod of the same namespace that runs Ready with
an image from the same registry host and lists an ``imagePullSecrets`` entry proves that secret exists
and opens that registry: the kubelet pulled that pod's image with it. That name is the value an
``add_image_pull_secret`` patch may carry, and the witness pod is named in the proposal.

Bounded: one list of the namespace's pods, only for an authorisation failure of a pull. Pinned only when
the witnesses agree on exactly one name the failing pod does not already list. The pod's ServiceAccount
is not consulted: KubeSent's RBAC does not read ServiceAccounts. Called by ``gather.complete``; the
decision of what to read (``wanted``) and the reading of the list (``witness``) are pure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kubesent import k8s
from kubesent.evidence.category import Category
from kubesent.objects import as_dict, as_list

if TYPE_CHECKING:  # model holds a witness; this module reads model's event facts
    from kubesent.evidence.model import EventFacts

# The kubelet's words for a pull refused for authorisation (containerd, CRI-O, Docker Hub, GCR, ECR).
AUTH_FAILURE = re.compile(r"(?i)\b401\b|\b403\b|unauthori[sz]ed|authentication required|denied")
# A Secret's name is a DNS-1123 subdomain; anything else in a pod spec is not a name to patch in.
_SECRET_NAME = re.compile(r"^[a-z0-9](?:[-a-z0-9.]{0,251}[a-z0-9])?$")
# How many witness pods a proposal names: one proves it; a few show it is the namespace's habit.
MAX_WITNESSES_NAMED = 3


@dataclass(frozen=True)
class PullSecretWitness:
    secret: str
    """The one pull secret name the Ready pods on this registry use and the failing pod lacks."""
    registry: str
    pods: tuple[str, ...]
    """The Ready pods that pull from ``registry`` with ``secret`` (at most ``MAX_WITNESSES_NAMED``)."""

    def describe(self) -> str:
        return (f"pod {', '.join(self.pods)} in the same namespace runs Ready with an image from {self.registry} "
                f"and the imagePullSecret {self.secret!r}")


def wanted(category: Category, events: tuple[EventFacts, ...]) -> bool:
    """Whether a pull failed for authorisation by the kubelet's own ``Failed`` events (read from the API,
    not the forwarded message): only then is the namespace's pod list worth reading."""
    return category is Category.IMAGE_PULL and any(
        event.reason == "Failed" and event.reporter in ("kubelet", "") and event.message.startswith(
            "Failed to pull image") and AUTH_FAILURE.search(event.message) for event in events)


def witness(pods: list[dict[str, Any]], *, failing_pod: str, image: str,
            already: tuple[str, ...]) -> PullSecretWitness | None:
    """The pinned pull secret for ``image``'s registry, from the namespace's ``pods``, or None."""
    registry = k8s.image_registry(image)
    names: dict[str, list[str]] = {}
    for pod in pods:
        metadata, spec = as_dict(pod.get("metadata")), as_dict(pod.get("spec"))
        name = str(metadata.get("name", ""))
        if name == failing_pod or metadata.get("deletionTimestamp") or not _ready(pod):
            continue
        images = [str(as_dict(c).get("image", "")) for section in ("initContainers", "containers")
                  for c in as_list(spec.get(section))]
        if registry not in {k8s.image_registry(other) for other in images if other}:
            continue
        secrets = {str(as_dict(item).get("name", "")) for item in as_list(spec.get("imagePullSecrets"))}
        for secret in secrets:
            if _SECRET_NAME.fullmatch(secret) and secret not in already:
                names.setdefault(secret, []).append(name)
    if len(names) != 1:
        return None  # no witness, or witnesses that disagree: nothing is pinned
    [(secret, witnesses)] = names.items()
    return PullSecretWitness(secret=secret, registry=registry, pods=tuple(sorted(witnesses)[:MAX_WITNESSES_NAMED]))


def _ready(pod: dict[str, Any]) -> bool:
    return as_dict(pod.get("status")).get("phase") == "Running" and k8s.pod_ready(pod)
