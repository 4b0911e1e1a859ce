"""What a rule may know besides the evidence: policy bounds and the workload's remediation history.

Frozen, built once per event by the pipeline. Pure data.
"""

from __future__ import annotations

from dataclasses import dataclass

from kubesent.evidence.annotation import RemediationNote

# The VPA recommender's margins (FACTS.md §3): needed = max(used + 100Mi, used × 1.2).
VPA_MARGIN_BYTES = 100 * 2**20
VPA_MARGIN_FACTOR = 1.2


@dataclass(frozen=True)
class RuleContext:
    memory_ceiling_bytes: int
    cpu_ceiling_millicores: int
    max_increase_factor: float
    max_total_increase_factor: float
    last_remediation: RemediationNote | None = None
    """The workload's ``kubesent.dev/last-remediation`` annotation, parsed."""
