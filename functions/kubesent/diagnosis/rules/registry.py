"""The ordered registry of deterministic rules. The first rule that answers wins.

Every rule has the same signature, ``(Evidence, RuleContext) -> Diagnosis | None``, and is pure.
A rule answers only when it is sure of the failure; otherwise the Diagnoser (model) gets the case.
"""

from __future__ import annotations

from collections.abc import Callable

from kubesent.diagnosis.context import RuleContext
from kubesent.diagnosis.rules import config, crash, images, memory, oom, probes, rollout, scheduling
from kubesent.diagnosis.schema import Diagnosis
from kubesent.evidence.model import Evidence

Rule = Callable[[Evidence, RuleContext], Diagnosis | None]

RULES: tuple[Rule, ...] = (
    rollout.bad_rollout,
    oom.oom_killed,
    memory.evicted,
    images.image_pull,
    config.security_context,
    config.config_missing,
    config.volume_failure,
    config.container_create,
    config.sandbox_failure,
    probes.probe_failure,
    scheduling.unschedulable,
    memory.heap_exhausted,
    crash.crash_loop,
)


def diagnose(evidence: Evidence, context: RuleContext) -> Diagnosis | None:
    """The first rule's answer, or None when no rule is sure."""
    for rule in RULES:
        diagnosis = rule(evidence, context)
        if diagnosis is not None:
            return diagnosis
    return None
