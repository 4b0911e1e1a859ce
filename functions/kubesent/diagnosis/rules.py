"""The ordered registry of deterministic rules. The first rule that answers wins.

Every rule has the same signature, ``(Evidence, RuleContext) -> Diagnosis | None``, and is pure.
A rule answers only when it is sure of the failure; otherwise the Diagnoser (model) gets the case.
"""

from __future__ import annotations

from collections.abc import Callable

from kubesent.diagnosis import rules_config, rules_crash, rules_images, rules_memory, rules_probes, rules_scheduling
from kubesent.diagnosis.context import RuleContext
from kubesent.diagnosis.schema import Diagnosis
from kubesent.evidence import Evidence

Rule = Callable[[Evidence, RuleContext], Diagnosis | None]

RULES: tuple[Rule, ...] = (
    rules_memory.oom_killed,
    rules_memory.evicted,
    rules_images.image_pull,
    rules_config.security_context,
    rules_config.config_missing,
    rules_config.volume_failure,
    rules_config.container_create,
    rules_config.sandbox_failure,
    rules_probes.probe_failure,
    rules_scheduling.unschedulable,
    rules_memory.heap_exhausted,
    rules_crash.crash_loop,
)


def diagnose(evidence: Evidence, context: RuleContext) -> Diagnosis | None:
    """The first rule's answer, or None when no rule is sure."""
    for rule in RULES:
        diagnosis = rule(evidence, context)
        if diagnosis is not None:
            return diagnosis
    return None
