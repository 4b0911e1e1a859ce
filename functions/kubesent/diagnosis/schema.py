"""The typed vocabulary of a diagnosis: failure categories, the closed list of remedies, and bounds.

Both the rules and the model answer in these types; nothing here knows where an answer came from.
Pure: no I/O. Used by rules, llm, remedies, policy and pipeline.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from kubesent.evidence.category import Category


class RemedyKind(StrEnum):
    """The closed list of remedies (DESIGN.md contract). Nothing else is ever rendered into a patch."""

    RAISE_MEMORY_LIMIT = "raise_memory_limit"
    RAISE_CPU_LIMIT = "raise_cpu_limit"
    FIX_IMAGE_REFERENCE = "fix_image_reference"
    ADD_IMAGE_PULL_SECRET = "add_image_pull_secret"
    FIX_PROBE = "fix_probe"
    ADD_MISSING_CONFIG = "add_missing_config"
    FIX_COMMAND_OR_ARGS = "fix_command_or_args"
    FIX_SECURITY_CONTEXT = "fix_security_context"
    FIX_SCHEDULING = "fix_scheduling"
    ROLLBACK_ROLLOUT = "rollback_rollout"
    """Restore the previous ReplicaSet's pod template (``kubectl rollout undo``); it has no parameters:
    the template comes from the cluster, never from a rule's or the model's text."""
    ESCALATE = "escalate"


ProbeName = Literal["liveness", "readiness", "startup"]
ConfigKind = Literal["ConfigMap", "Secret"]

# Bounds on model-supplied numbers: far beyond any sane probe, yet small enough that a hostile
# answer cannot park a workload for hours.
MAX_PROBE_SECONDS = 600
MAX_PROBE_FAILURE_THRESHOLD = 30
# Kubernetes names are at most 253 characters (DNS subdomain); images are at most a few hundred.
MAX_NAME_CHARS = 253
MAX_IMAGE_CHARS = 512
MAX_ROOT_CAUSE_CHARS = 1000
# A quantity as people write it ("1536Mi", "2500m"); longer is not a limit anyone sets.
MAX_QUANTITY_CHARS = 32


class RemedyParameters(BaseModel):
    """The bounded parameters a remedy may carry, declared once for ``Remedy`` and the model's answer.

    Quantities are Kubernetes quantity strings (``"256Mi"``, ``"500m"``), checked again by the policy.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    container: str | None = Field(None, max_length=MAX_NAME_CHARS)
    memory_limit: str | None = Field(None, max_length=MAX_QUANTITY_CHARS)
    cpu_limit: str | None = Field(None, max_length=MAX_QUANTITY_CHARS)
    image: str | None = Field(None, max_length=MAX_IMAGE_CHARS)
    image_pull_secret: str | None = Field(None, max_length=MAX_NAME_CHARS)
    probe: ProbeName | None = None
    probe_initial_delay_seconds: int | None = Field(None, ge=0, le=MAX_PROBE_SECONDS)
    probe_timeout_seconds: int | None = Field(None, ge=1, le=MAX_PROBE_SECONDS)
    probe_period_seconds: int | None = Field(None, ge=1, le=MAX_PROBE_SECONDS)
    probe_failure_threshold: int | None = Field(None, ge=1, le=MAX_PROBE_FAILURE_THRESHOLD)
    probe_port: int | None = Field(None, ge=1, le=65535)
    probe_path: str | None = Field(None, max_length=MAX_NAME_CHARS)
    config_kind: ConfigKind | None = None
    config_name: str | None = Field(None, max_length=MAX_NAME_CHARS)
    config_key: str | None = Field(None, max_length=MAX_NAME_CHARS)


class _RemedyKindField(BaseModel):
    kind: RemedyKind


class Remedy(RemedyParameters, _RemedyKindField):
    """One typed remedy with its bounded parameters; ``remedies.render`` turns it into a patch.

    Only the fields of ``kind`` are read; the rest must stay empty. ``memory_request`` is set by rules
    only (an eviction's request raise); the model cannot ask for it.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    memory_request: str | None = Field(None, max_length=MAX_QUANTITY_CHARS)

    def touches_only_probe_timing(self) -> bool:
        """True when a ``fix_probe`` changes timing fields only (the auto-applicable kind)."""
        return self.probe_port is None and self.probe_path is None


ESCALATE = Remedy(kind=RemedyKind.ESCALATE)


class Diagnosis(BaseModel):
    """What failed, why, and what to do: the output of a rule or of the model after validation."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    category: Category
    root_cause: str = Field(max_length=MAX_ROOT_CAUSE_CHARS)
    remedy: Remedy
    confidence: int = Field(ge=0, le=100)
    evidence: tuple[str, ...] = ()
    source: str = "rule"
    """``rule:<name>``, ``model:<name>`` or ``none``."""
    propose_only: str | None = None
    """Why this remedy must never be applied automatically (a suspected leak, say), if it must not."""
