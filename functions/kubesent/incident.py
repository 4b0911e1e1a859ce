"""What the pipeline knows about one incident, what it decided, and the audit record built from both.

``Incident`` is the evidence and the ledger's word on it; ``Outcome`` is the one action taken and
everything that led to it. ``record`` turns them into the ``AuditRecord``, once. Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kubesent import redaction
from kubesent.audit import Action, AuditRecord, Target
from kubesent.diagnosis.base import ModelReport
from kubesent.diagnosis.schema import Diagnosis
from kubesent.events import PodEvent
from kubesent.evidence.model import Evidence
from kubesent.ledger import Admission, IncidentKey

# How much of the forwarded event the audit line repeats: the reason, the pod and the (redacted) message.
EVENT_REASON_CHARS = 64
EVENT_NAME_CHARS = 253
EVENT_UID_CHARS = 64
EVENT_MESSAGE_CHARS = 500


@dataclass(frozen=True)
class Incident:
    """A pod failure KubeSent has read and the ledger has admitted."""

    evidence: Evidence
    key: IncidentKey
    admission: Admission


@dataclass(frozen=True)
class Outcome:
    """The one action for an event, why, and what it rests on."""

    action: Action
    reason: str
    diagnosis: Diagnosis | None = None
    report: ModelReport | None = None
    patch: dict[str, Any] | None = None
    previous: dict[str, Any] | None = None
    dry_run_result: str | None = None
    model_budget: dict[str, Any] | None = None
    """The shared model budget as this incident found it, when a model call was considered."""


def record(incident: Incident | None, outcome: Outcome) -> AuditRecord:
    """The audit record of an outcome; the incident's fields when there is one."""
    fields: dict[str, Any] = {}
    if incident is not None:
        evidence, key = incident.evidence, incident.key
        fields = {"incident": key.describe(), "incident_id": key.id, "category": evidence.category.value,
                  "owner_chain": list(evidence.owner_chain),
                  "target": Target(kind=evidence.owner.kind, namespace=evidence.owner.namespace or evidence.namespace,
                                   name=evidence.owner.name)}
    diagnosis = outcome.diagnosis
    if diagnosis is not None:
        fields |= {"category": diagnosis.category.value, "remedy": diagnosis.remedy.kind.value,
                   "confidence": diagnosis.confidence, "root_cause": diagnosis.root_cause,
                   "evidence": list(diagnosis.evidence), "diagnosed_by": diagnosis.source,
                   "model": _report(outcome.report)}
    return AuditRecord(action=outcome.action, reason=outcome.reason, patch=outcome.patch, previous=outcome.previous,
                       dry_run_result=outcome.dry_run_result, model_budget=outcome.model_budget, **fields)


def event_summary(event: PodEvent) -> dict[str, str]:
    """The forwarded event as the audit line repeats it: bounded, the message redacted."""
    return {"reason": event.reason[:EVENT_REASON_CHARS], "namespace": event.namespace[:EVENT_NAME_CHARS],
            "pod": event.involved_object.name[:EVENT_NAME_CHARS],
            "uid": event.involved_object.uid[:EVENT_UID_CHARS],
            "message": redaction.redact(event.message[:EVENT_MESSAGE_CHARS])}


def _report(report: ModelReport | None) -> dict[str, Any] | None:
    if report is None:
        return None
    return {"model": report.model, "cached": report.cached, "prompt_chars": report.prompt_chars,
            "latency_ms": report.latency_ms, "attempts": report.attempts, "remedy_proposed": report.remedy_proposed,
            "remedy_final": report.remedy_final, "refusal": report.refusal}
