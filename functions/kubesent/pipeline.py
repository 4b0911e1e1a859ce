"""The only module that knows the order of the steps: filter → evidence → ledger → diagnosis →
policy → dry-run → patch → record (DESIGN.md, data flow).

Returns an ``AuditRecord`` for every event it accepts; raises ``TransientError`` (after releasing
its claim) when a retry can help. Called by ``main`` (Pub/Sub) and ``replay`` (bundles).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from kubesent import errors, events, policy, quantity, redaction, remedies
from kubesent.audit import WRITING_ACTIONS, AuditRecord, Target
from kubesent.cluster.api import Cluster
from kubesent.diagnosis.base import Diagnoser, ModelReport
from kubesent.diagnosis.context import RuleContext
from kubesent.diagnosis.rules import registry
from kubesent.diagnosis.schema import ESCALATE, Diagnosis
from kubesent.evidence import annotation, gather, podfacts
from kubesent.evidence.model import Evidence
from kubesent.ledger import IncidentKey, Ledger, Remediation, Verdict
from kubesent.settings import Settings

# A model outage may be retried by Pub/Sub while the event is younger than this share of the max age.
FRESH_SHARE_OF_MAX_AGE = 0.5


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Pipeline:
    def __init__(self, settings: Settings, *, cluster: Cluster, ledger: Ledger, diagnoser: Diagnoser,
                 clock: Callable[[], datetime] = utcnow) -> None:
        self.settings = settings
        self.cluster = cluster
        self.ledger = ledger
        self.diagnoser = diagnoser
        self.clock = clock

    def handle(self, event: events.PodEvent, *, now: datetime | None = None) -> AuditRecord:
        started = time.monotonic()
        now = now or self.clock()
        calls_before = getattr(self.cluster, "calls", 0)
        record = self._handle(event, now)
        record.event = {"reason": event.reason[:64], "namespace": event.namespace[:253],
                        "pod": event.involved_object.name[:253], "uid": event.involved_object.uid[:64],
                        "message": redaction.redact(event.message[:500])}
        record.api_calls = getattr(self.cluster, "calls", 0) - calls_before
        record.duration_ms = int((time.monotonic() - started) * 1000)
        return record

    def _handle(self, event: events.PodEvent, now: datetime) -> AuditRecord:
        skip = events.why_skip(event, now=now, max_age_seconds=self.settings.max_event_age_seconds)
        if skip is not None:
            return AuditRecord(action="ignored", reason=skip)
        if policy.namespace_denied(event.namespace, self.settings):
            return AuditRecord(action="ignored", reason=f"namespace {event.namespace} is deny-listed "
                                                         "(KUBESENT_NAMESPACES_DENY)")
        if not policy.namespace_allowed(event.namespace, self.settings):
            # Not even read: its logs would otherwise leave the cluster in a prompt.
            return AuditRecord(action="ignored", reason=f"namespace {event.namespace} is not in "
                                                         "KUBESENT_NAMESPACES_ALLOW")
        configured = self.settings.cluster_name
        if configured and event.cluster_name and event.cluster_name != configured:
            return AuditRecord(action="ignored", reason=f"the event comes from cluster "
                                                         f"{errors.truncate(event.cluster_name, 64)!r}; this "
                                                         f"instance serves {configured!r}")
        try:
            # The configured name, not the event's: a forged clusterName would mint fresh incident keys
            # and slip past deduplication, cooldowns and the breaker.
            evidence = gather.identify(self.cluster, event, cluster=configured)
        except errors.NotFound as exc:
            return AuditRecord(action="ignored", reason=f"the pod is gone: {exc}")
        except errors.ClusterRefused as exc:
            return AuditRecord(action="escalated", reason=f"KubeSent cannot read the pod's facts: {exc}. "
                                                           "Check its RBAC (see README).")
        key = IncidentKey(cluster=evidence.cluster, namespace=evidence.namespace, owner_kind=evidence.owner.kind,
                          owner_name=evidence.owner.name, container=evidence.focus_container or "",
                          category=evidence.category.value, template_hash=evidence.template_hash)
        admission = self.ledger.admit(key, now=now)
        base = {"incident": key.describe(), "incident_id": key.id, "category": evidence.category.value,
                "owner_chain": list(evidence.owner_chain),
                "target": Target(kind=evidence.owner.kind, namespace=evidence.owner.namespace or evidence.namespace,
                                 name=evidence.owner.name)}
        if admission.verdict is Verdict.DUPLICATE:
            return AuditRecord(action="ignored", reason=f"duplicate: {admission.reason}", **base)
        try:
            record = self._judge(evidence, key, admission.verdict, admission.reason, admission.breaker_first, base, now)
        except errors.TransientError:
            self.ledger.release(key)
            raise
        self.ledger.complete(key, record.model_dump(mode="json"), now=now)
        return record

    def _judge(self, evidence: Evidence, key: IncidentKey, verdict: Verdict, why: str, breaker_first: bool,
               base: dict[str, Any], now: datetime) -> AuditRecord:
        if verdict is Verdict.COOLDOWN:
            return AuditRecord(action="ignored", reason=f"cooldown: {why}", **base)
        if verdict is Verdict.RECURRENCE:
            return AuditRecord(action="escalated", reason=f"the fix did not work: {why}", **base)
        if verdict is Verdict.BREAKER and breaker_first:
            return AuditRecord(action="escalated", reason=f"circuit breaker: {why}", **base)
        try:
            evidence = gather.complete(
                self.cluster, evidence, log_tail_lines=self.settings.log_tail_lines,
                log_limit_bytes=self.settings.log_limit_bytes, log_max_chars=self.settings.prompt_log_chars)
        except errors.ClusterRefused as exc:
            return AuditRecord(action="escalated", reason=f"KubeSent cannot read the pod's events or logs: {exc}",
                               **base)
        diagnosis, report = self._diagnose(evidence, key, now)
        record = AuditRecord(action="escalated", reason="", remedy=diagnosis.remedy.kind.value,
                             confidence=diagnosis.confidence, root_cause=diagnosis.root_cause,
                             evidence=list(diagnosis.evidence), diagnosed_by=diagnosis.source,
                             model=_report(report), **{**base, "category": diagnosis.category.value})
        patch, previous = remedies.render(diagnosis.remedy, evidence.owner)
        if patch is not None and (remedies.already_satisfied(diagnosis.remedy, evidence.owner)
                                  or remedies.is_noop(patch, evidence.owner)):
            record.action, record.reason = "ignored", ("the workload's template already has this change (fixed "
                                                       "since this pod was created)")
            return record
        last = self.ledger.last_remediation(key) if patch is not None else None
        total = remedies.total_factor(diagnosis.remedy, evidence.owner, last)
        # The first raise is bounded by the per-step rule alone (the VPA's +100Mi is ×11 on a 10Mi limit);
        # the total cap stops the raises after it.
        counted = total if last is not None and last.remedy == diagnosis.remedy.kind.value else 1.0
        decision = policy.decide(diagnosis, evidence.owner, namespace=evidence.namespace, patch=patch,
                                 settings=self.settings, breaker_open=verdict is Verdict.BREAKER,
                                 template_drift=evidence.template_drift, total_factor=counted)
        record.action, record.reason, record.patch, record.previous = decision.action, decision.reason, patch, previous
        if decision.action in WRITING_ACTIONS and patch is not None:
            self._write(record, evidence, diagnosis, key, patch, previous, now, total_factor=total)
        return record

    def _diagnose(self, evidence: Evidence, key: IncidentKey, now: datetime) -> tuple[Diagnosis, ModelReport | None]:
        context = RuleContext(
            memory_ceiling_bytes=quantity.parse_bytes(self.settings.memory_ceiling),
            cpu_ceiling_millicores=quantity.parse_millicores(self.settings.cpu_ceiling),
            max_increase_factor=self.settings.max_increase_factor,
            max_total_increase_factor=self.settings.max_total_increase_factor,
            last_remediation=annotation.parse(evidence.owner.annotations))
        found = registry.diagnose(evidence, context)
        if found is not None:
            return found, None
        occurred = evidence.event.occurred_at or now
        fresh = (now - occurred).total_seconds() < self.settings.max_event_age_seconds * FRESH_SHARE_OF_MAX_AGE
        cached = self.ledger.cached_diagnosis(key)
        try:
            outcome = self.diagnoser.diagnose(evidence, cached=cached, fresh=fresh)
        except (errors.ConfigurationError, errors.SecretUnavailable) as exc:
            return Diagnosis(category=evidence.category, remedy=ESCALATE, confidence=0, source="none",
                             root_cause=f"diagnosis unavailable: the model is misconfigured ({exc})"), None
        if outcome.to_cache is not None and cached is None:
            self.ledger.store_diagnosis(key, outcome.to_cache, now=now)
        return outcome.diagnosis, outcome.report

    def _write(self, record: AuditRecord, evidence: Evidence, diagnosis: Diagnosis, key: IncidentKey,
               patch: dict[str, Any], previous: dict[str, Any], now: datetime, *, total_factor: float) -> None:
        """Server-side dry-run, then (unless dry-run mode) the patch with a resourceVersion precondition."""
        owner = evidence.owner
        note = annotation.render(earlier=annotation.parse(owner.annotations), incident_id=key.id,
                                 remedy=diagnosis.remedy.kind.value, container=diagnosis.remedy.container, at=now,
                                 template_hash=evidence.template_hash, previous=previous,
                                 reason=diagnosis.root_cause)
        body = {**patch, "metadata": {"resourceVersion": owner.resource_version,
                                      "annotations": {annotation.LAST_REMEDIATION: note,
                                                      annotation.INCIDENT: key.id}}}
        target = {"api_version": owner.api_version, "kind": owner.kind, "namespace": owner.namespace or evidence.namespace,
                  "name": owner.name}
        for attempt in (1, 2):
            try:
                self.cluster.patch(**target, body=body, dry_run=True)
                record.dry_run_result = "accepted"
                if record.action == "dry_run":
                    return
                self.cluster.patch(**target, body=body, dry_run=False)
                break
            except errors.Conflict as exc:
                if attempt == 2:
                    raise errors.ClusterUnavailable(f"the workload kept changing under KubeSent: {exc}") from exc
                fresh_owner = self.cluster.read(**target)
                body["metadata"]["resourceVersion"] = (fresh_owner.get("metadata") or {}).get("resourceVersion", "")
                # Re-decide on the new template: if the change is already there, there is nothing to do.
                refreshed = podfacts.owner_facts(fresh_owner, None)
                if remedies.already_satisfied(diagnosis.remedy, refreshed) or remedies.is_noop(patch, refreshed):
                    record.action, record.reason = "ignored", "the workload changed meanwhile and already has this fix"
                    return
                decision = policy.decide(diagnosis, refreshed, namespace=evidence.namespace, patch=patch,
                                         settings=self.settings)
                if decision.action not in WRITING_ACTIONS:
                    record.action, record.reason = decision.action, "after a conflict: " + decision.reason
                    return
            except errors.ClusterRefused as exc:
                record.action = "escalated"
                record.dry_run_result = f"refused: {exc}"
                record.reason = f"the API server refused the patch ({exc}); nothing was written"
                return
        self.ledger.record_remediation(key, Remediation(
            incident_id=key.id, category=key.category, remedy=diagnosis.remedy.kind.value, action="applied", at=now,
            template_hash=evidence.template_hash, previous=previous, patch=patch, total_factor=total_factor))


def _report(report: ModelReport | None) -> dict[str, Any] | None:
    if report is None:
        return None
    return {"model": report.model, "cached": report.cached, "prompt_chars": report.prompt_chars,
            "latency_ms": report.latency_ms, "attempts": report.attempts, "remedy_proposed": report.remedy_proposed,
            "remedy_final": report.remedy_final, "refusal": report.refusal}
