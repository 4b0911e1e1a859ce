"""The Diagnoser seam: one method, with a null implementation for offline runs.

The pipeline calls a Diagnoser only when no rule is sure and the incident is new. Implementations:
``NullDiagnoser`` (escalate, no I/O) and ``llm.GeminiDiagnoser``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from kubesent.diagnosis.schema import ESCALATE, Diagnosis
from kubesent.evidence.model import Evidence


@dataclass(frozen=True)
class ModelReport:
    """What the model contributed, for the audit line. Never contains prompt text or secrets."""

    model: str
    cached: bool = False
    prompt_chars: int = 0
    latency_ms: int = 0
    attempts: int = 0
    remedy_proposed: str | None = None
    """The remedy the model answered, before validation."""
    remedy_final: str | None = None
    """The remedy after validation (``escalate`` when refused)."""
    refusal: str | None = None
    """Why the answer was refused, if it was."""


@dataclass(frozen=True)
class Outcome:
    diagnosis: Diagnosis
    report: ModelReport | None = None
    to_cache: dict[str, Any] | None = None
    """A JSON-able answer the pipeline stores in the ledger, handed back as ``cached`` next time."""


class Diagnoser(Protocol):
    """Diagnoses what the rules could not; must return a validated diagnosis or raise TransientError."""

    def diagnose(self, evidence: Evidence, *, cached: dict[str, Any] | None, fresh: bool) -> Outcome:
        """``cached``: a previous answer for this incident from the ledger (no call then).
        ``fresh``: the event is recent enough that raising TransientError (a retry) still helps."""
        ...


class NullDiagnoser:
    """No model: what the rules cannot decide is escalated for a person."""

    def diagnose(self, evidence: Evidence, *, cached: dict[str, Any] | None, fresh: bool) -> Outcome:
        del cached, fresh
        return Outcome(Diagnosis(
            category=evidence.category,
            root_cause="No rule matched this failure and no diagnosis model is configured (KUBESENT_LLM=none).",
            remedy=ESCALATE, confidence=0, source="none"))
