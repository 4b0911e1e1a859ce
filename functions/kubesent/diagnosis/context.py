"""What a rule may know besides the evidence: policy bounds and the workload's remediation history.

Frozen, built once per event by the pipeline. Pure data.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kubesent.evidence.annotation import RemediationNote


@dataclass(frozen=True)
class RuleContext:
    memory_ceiling_bytes: int
    cpu_ceiling_millicores: int
    max_increase_factor: float
    max_total_increase_factor: float
    last_remediation: RemediationNote | None = None
    """The workload's ``kubesent.dev/last-remediation`` annotation, parsed."""
    memory_raises: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Per container of this workload whose memory limit KubeSent raised before (the ledger's history),
    the pod-template hashes the raises were made on."""
    original_memory_limits: dict[str, str] = field(default_factory=dict)
    """Per container, the limit before KubeSent's first raise (the ledger's history), for the total cap:
    it never resets, whatever came in between."""
