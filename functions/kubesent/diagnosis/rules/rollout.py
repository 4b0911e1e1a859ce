"""The rollout rule: a Deployment whose newest revision fails while the one before still serves.

Most incidents start with a change, and rolling the change back is the first thing an SRE tries. This
rule answers only when the kubelet's facts pin it: the failing pod runs the Deployment's newest
revision, no pod of that revision is available, and the previous revision still has available pods.
The remedy is ``rollback_rollout``, always a proposal (it is not in the auto-apply list); its patch
is built from the cluster's own ReplicaSet. Pure. Listed in ``registry.RULES`` before the families
that would otherwise propose a fix inside the new revision.
"""

from __future__ import annotations

from kubesent.diagnosis.context import RuleContext
from kubesent.diagnosis.schema import Diagnosis, Remedy, RemedyKind
from kubesent.diagnosis.validate import rollback_blocker
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
