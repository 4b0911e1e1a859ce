"""The rollout rule: a Deployment whose newest revision fails while the one before still serves.

Most incidents start with a change, and rolling the change back is the first thing an SRE tries. This
rule answers only when the kubelet's facts pin it: the failing pod runs the Deployment's newest
revision, no pod of that revision is available, and the previous revision still has available pods.
The remedy is ``rollback_rollout``, always a proposal (it is not in the auto-apply list); its patch
is built from the cluster's own ReplicaSet. Pure. Listed in ``registry.RULES`` before the families
that would otherwise propose a fix inside the new revision.
"""

from __future__ import annotations

import copy

from kubesent.diagnosis.context import RuleContext
from kubesent.diagnosis.schema import Diagnosis, Remedy, RemedyKind
from kubesent.diagnosis.validate import rollback_blocker
from kubesent.evidence import templates
from kubesent.evidence.category import Category
from kubesent.evidence.model import Evidence

# Failures a rollout brings; an OOM kill, an eviction or a scheduling failure has its own causes.
ROLLOUT_FAILURES = frozenset({Category.CRASH_LOOP, Category.IMAGE_PULL, Category.CONFIG_MISSING,
                              Category.CONTAINER_CREATE, Category.PROBE_FAILURE})


def bad_rollout(evidence: Evidence, context: RuleContext) -> Diagnosis | None:
    del context
    if evidence.category not in ROLLOUT_FAILURES or rollback_blocker(evidence) is not None:
        return None
    found = evidence.rollout
    assert found is not None and found.previous is not None  # rollback_blocker checked both
    pinned = _pinned_image(evidence)
    if pinned is not None:
        return pinned
    current, previous = found.current, found.previous
    changed = [f"{old} → {new}" for old, new in zip(previous.images(), current.images(), strict=False) if old != new]
    what = f" (image {', '.join(changed)})" if changed else ""
    return Diagnosis(
        category=evidence.category, confidence=85, source="rule:bad_rollout",
        remedy=Remedy(kind=RemedyKind.ROLLBACK_ROLLOUT),
        evidence=(f"ReplicaSet {current.name} (revision {current.number}): {current.available}/{current.replicas} "
                  "available", f"ReplicaSet {previous.name} (revision {previous.number}): "
                  f"{previous.available}/{previous.replicas} available"),
        root_cause=(f"Revision {current.number} of Deployment {evidence.owner.name}{what} fails "
                    f"({evidence.category.value.replace('_', ' ')}) since it rolled out, while revision "
                    f"{previous.number} still serves with {previous.available} available pods. Roll back to "
                    f"revision {previous.number} (kubectl rollout undo), then fix the change."))


def _pinned_image(evidence: Evidence) -> Diagnosis | None:
    """A pull failure of a tag the rollout changed, in a rollout that changed more than that image: the tag the
    previous revision ran (and still serves) is the pinned value. Writing back only that image keeps the rest of
    the change (a rollback would drop it), and an approval of it is bounded like any image fix: same repository.
    A rollout that changed nothing but images is a rollback, the same patch in `kubectl rollout undo`'s words."""
    found, focus = evidence.rollout, evidence.focus
    if evidence.category is not Category.IMAGE_PULL or found is None or found.previous is None or focus is None:
        return None
    old = _image_of(found.previous.template, focus.name)
    new = _image_of(found.current.template, focus.name)
    if not old or not new or old == new or new != focus.image or _repository(old) != _repository(new):
        return None
    if _without_images(found.previous.template) == _without_images(found.current.template):
        return None  # only images changed: the rollback is that very change, undone
    previous = found.previous
    return Diagnosis(
        category=evidence.category, confidence=85, source="rule:bad_rollout",
        remedy=Remedy(kind=RemedyKind.FIX_IMAGE_REFERENCE, container=focus.name, image=old),
        evidence=(f"ReplicaSet {found.current.name} (revision {found.current.number}): image {new}, "
                  f"{found.current.available}/{found.current.replicas} available",
                  f"ReplicaSet {previous.name} (revision {previous.number}): image {old}, "
                  f"{previous.available}/{previous.replicas} available"),
        root_cause=(f"Revision {found.current.number} of Deployment {evidence.owner.name} changed container "
                    f"{focus.name}'s image {old} → {new}, which cannot be pulled, along with other fields of the "
                    f"pod template. Revision {previous.number} still serves with {old}: set the image back to it "
                    f"and keep the rest of the rollout (a rollback would undo all of it), then publish the new tag."))


def _image_of(template: dict[str, object], container: str) -> str:
    found = templates.find_container(template.get("spec"), container)
    return str(found[1].get("image") or "") if found is not None else ""


def _repository(image: str) -> str:
    """An image reference without its digest and tag: registry and path."""
    name = image.split("@", 1)[0]
    slash = name.rfind("/")
    colon = name.rfind(":")
    return name[:colon] if colon > slash else name


def _without_images(template: dict[str, object]) -> dict[str, object]:
    copied = copy.deepcopy(template)
    spec = copied.get("spec")
    for section in ("containers", "initContainers"):
        for item in (spec.get(section) or []) if isinstance(spec, dict) else []:
            if isinstance(item, dict):
                item.pop("image", None)
    return copied
