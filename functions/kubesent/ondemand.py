"""On-demand analysis of one pod: the pipeline's own evidence → diagnosis → policy path, read-only.

Answers ``POST /analyze`` (``http_api``) and ``kubesent diagnose`` (``cli``). Read-only means: the cluster
is only read (a plan-only writer stands in for the safe write path, and the decision is capped at
``dry_run``), and the ledger is never claimed (``ReadOnlyLedger``: a throwaway admission, while the
model's per-incident cache is the real one). ``apply=True`` (``diagnose --apply``) runs the normal
pipeline instead: the same policy and safe write path as an event, dry-run still honoured.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import yaml

from kubesent import errors, policy, triage
from kubesent.audit import AuditRecord
from kubesent.cluster.api import Cluster
from kubesent.cluster.memory import MemoryCluster
from kubesent.diagnosis.base import Diagnoser
from kubesent.incident import Incident, Outcome
from kubesent.ledger import Admission, ContainerHistory, IncidentKey, Ledger, Remediation, budget
from kubesent.ledger.memory import MemoryLedger
from kubesent.pipeline import Pipeline, utcnow
from kubesent.settings import Settings
from kubesent.write import SafeWriter

# The replay contract's keys (DESIGN.md), in its order; ``id`` is the pod.
REPLAY_KEYS = ("id", "action", "remedy", "category", "confidence", "target", "patch", "root_cause")


class ReadOnlyLedger:
    """A ``Ledger`` that never claims: admission from a throwaway memory ledger, the model's cache (and the
    workload's remediation history) read from the real one, so a model answer is paid for once."""

    def __init__(self, shared: Ledger | None = None) -> None:
        self._local = MemoryLedger()
        self._shared = shared

    def admit(self, key: IncidentKey, *, now: datetime, claimant: str = "") -> Admission:
        return self._local.admit(key, now=now, claimant=claimant)

    def cached_diagnosis(self, key: IncidentKey) -> dict[str, Any] | None:
        return (self._shared or self._local).cached_diagnosis(key)

    def store_diagnosis(self, key: IncidentKey, answer: dict[str, Any], *, now: datetime) -> None:
        (self._shared or self._local).store_diagnosis(key, answer, now=now)

    def record_remediation(self, key: IncidentKey, remediation: Remediation) -> None:
        self._local.record_remediation(key, remediation)

    def last_remediation(self, key: IncidentKey) -> Remediation | None:
        return (self._shared or self._local).last_remediation(key)

    def history(self, key: IncidentKey) -> dict[str, ContainerHistory]:
        return (self._shared or self._local).history(key)

    def stored_record(self, incident_id: str) -> dict[str, Any] | None:
        return (self._shared or self._local).stored_record(incident_id)

    def read_marker(self, name: str) -> dict[str, Any] | None:
        return (self._shared or self._local).read_marker(name)

    def write_marker(self, name: str, value: dict[str, Any], *, now: datetime, create_only: bool) -> bool:
        return self._local.write_marker(name, value, now=now, create_only=create_only)  # never the shared one

    def breaker_open(self, key: IncidentKey, *, now: datetime) -> bool:
        return (self._shared or self._local).breaker_open(key, now=now)

    def count_duplicates(self, key: IncidentKey, count: int, *, now: datetime) -> None:
        self._local.count_duplicates(key, count, now=now)  # an analysis claims nothing, counts nothing shared

    # An analysis writes nothing, so it never queues a verification; these keep the protocol whole.
    def schedule_verification(self, incident_id: str, entry: dict[str, Any], *, due_at: datetime,
                              now: datetime) -> None:
        self._local.schedule_verification(incident_id, entry, due_at=due_at, now=now)

    def due_verifications(self, *, now: datetime, limit: int) -> list[str]:
        return self._local.due_verifications(now=now, limit=limit)

    def lease_verification(self, incident_id: str, *, now: datetime, until: datetime) -> dict[str, Any] | None:
        return self._local.lease_verification(incident_id, now=now, until=until)

    def reschedule_verification(self, incident_id: str, entry: dict[str, Any], *, due_at: datetime) -> None:
        self._local.reschedule_verification(incident_id, entry, due_at=due_at)

    def finish_verification(self, incident_id: str) -> None:
        self._local.finish_verification(incident_id)

    def take_model_call(self, *, now: datetime, limits: budget.Limits) -> budget.Grant:
        # The model budget is shared: an on-demand analysis pays from it like an event does.
        return (self._shared or self._local).take_model_call(now=now, limits=limits)

    def complete(self, key: IncidentKey, record: dict[str, Any], *, now: datetime) -> None:
        self._local.complete(key, record, now=now)

    def release(self, key: IncidentKey) -> None:
        self._local.release(key)


class _PlanOnlyWriter(SafeWriter):
    """The safe write path's stand-in: the planned outcome is the answer; nothing is sent, not even a dry-run."""

    def write(self, incident: Incident, planned: Outcome, *, checks: policy.Checks, total_factor: float,
              now: datetime, approver: str | None = None, send: dict[str, Any] | None = None) -> Outcome:
        del incident, checks, total_factor, now, approver, send
        return planned


class ReadOnlyPipeline(Pipeline):
    """The pipeline with a plan-only writer."""

    @property
    def writer(self) -> SafeWriter:
        return _PlanOnlyWriter(self.settings, cluster=self.cluster, ledger=self.ledger)


@dataclass(frozen=True)
class Analysis:
    """One pod's analysis: the audit record, and what the pod showed."""

    pod: str
    record: AuditRecord
    failure: str | None
    """A few words for a person (``OOMKilled``), None when the pod is not failing."""

    def replay_keys(self) -> dict[str, Any]:
        record = self.record
        return {"id": self.pod, "action": record.action, "remedy": record.remedy or "escalate",
                "category": record.category or "other", "confidence": record.confidence,
                "target": record.target.model_dump() if record.target else None, "patch": record.patch,
                "root_cause": record.root_cause or record.reason}

    def as_json(self) -> dict[str, Any]:
        """The seed's answer (``root_cause``, ``suggested_fix_yaml``, ``confidence_score``), the replay keys,
        the evidence lines and the decision's reason."""
        keys = self.replay_keys()
        patch = self.record.patch
        return {"root_cause": keys["root_cause"],
                "suggested_fix_yaml": yaml.safe_dump(patch, sort_keys=False) if patch else None,
                "confidence_score": keys["confidence"], **keys, "evidence": list(self.record.evidence),
                "reason": self.record.reason, "failure": self.failure}

    @property
    def needs_person(self) -> bool:
        """Nothing a person must do: healed, would be healed, or not an incident."""
        return self.record.action in ("proposed", "escalated")


def read_only(settings: Settings) -> Settings:
    """The settings of a read-only analysis: a decision to write is reported as ``dry_run``."""
    return settings.model_copy(update={"dry_run": True})


def analyze(pod: dict[str, Any], *, cluster: Cluster, settings: Settings, diagnoser: Diagnoser,
            ledger: Ledger | None = None, container: str | None = None, failure_reason: str | None = None,
            apply: bool = False, now: datetime | None = None) -> Analysis:
    """Diagnose ``pod`` (already read) through ``cluster``. Read-only unless ``apply``; then ``ledger`` is
    claimed like an event's, and the safe write path runs."""
    now = now or utcnow()
    meta = pod.get("metadata") or {}
    label = f"{meta.get('namespace', '')}/{meta.get('name', '')}"
    found = (triage.from_reason(failure_reason, pod, container=container) if failure_reason
             else triage.failure(pod, container=container))
    if found is None:
        shown = f" (container {container})" if container else ""
        return Analysis(label, AuditRecord(action="ignored", reason=f"the pod shows no failure now{shown}"), None)
    event = triage.event_for(pod, found, now=now)
    if apply:
        if ledger is None:
            raise errors.ConfigurationError("--apply needs the function's ledger")
        pipeline = Pipeline(settings, cluster=cluster, ledger=ledger, diagnoser=diagnoser)
    else:
        pipeline = ReadOnlyPipeline(read_only(settings), cluster=cluster, ledger=ReadOnlyLedger(ledger),
                                    diagnoser=diagnoser)
    return Analysis(label, pipeline.handle(event, now=now), found.summary)


def supplied_cluster(pod: dict[str, Any], *, logs: str, container: str | None) -> MemoryCluster:
    """The caller's evidence as a cluster (the seed's request shape): the pod alone, its log as the failing
    container's (previous instance's, when it restarted). Nothing else exists in it; nothing is read."""
    meta = pod.get("metadata") or {}
    statuses = (pod.get("status") or {}).get("containerStatuses") or []
    names = [str(c.get("name")) for c in (pod.get("spec") or {}).get("containers") or [] if isinstance(c, dict)]
    name = container or (triage.failure(pod) or triage.Failure("", "", None, "")).container or \
        (names[0] if names else "")
    restarted = any(isinstance(s, dict) and s.get("name") == name and (s.get("restartCount") or s.get("lastState"))
                    for s in statuses)
    entry = {"previous": logs, "current": ""} if restarted else {"current": logs}
    return MemoryCluster([pod], logs={f"{meta.get('namespace', '')}/{meta.get('name', '')}/{name}": entry})
