"""The only module that knows the order of the steps: filter → evidence → ledger → diagnosis →
policy → dry-run → patch → record (DESIGN.md, data flow).

Returns an ``AuditRecord`` for every event it accepts; raises ``TransientError`` (after releasing
its claim) when a retry can help. Called by ``main`` (Pub/Sub) and ``replay`` (bundles).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from kubesent import duplicates, errors, events, incident, policy, quantity, remedies
from kubesent.audit import WRITING_ACTIONS, AuditRecord
from kubesent.cluster.api import Cluster
from kubesent.diagnosis.base import Diagnoser, ModelReport, NullDiagnoser
from kubesent.diagnosis.context import RuleContext
from kubesent.diagnosis.rules import registry
from kubesent.diagnosis.schema import ESCALATE, Diagnosis, RemedyKind
from kubesent.evidence import annotation, corroborate, gather
from kubesent.evidence.category import Category
from kubesent.evidence.model import Evidence
from kubesent.incident import Incident, Outcome
from kubesent.ledger import IncidentKey, Ledger, Verdict, budget, snooze
from kubesent.ledger.metered import MeteredLedger
from kubesent.metrics import MemoryMetrics
from kubesent.settings import Settings
from kubesent.write import SafeWriter

# A model outage may be retried by Pub/Sub while the event is younger than this share of the max age.
FRESH_SHARE_OF_MAX_AGE = 0.5
# Where the cluster name in an ignored event's reason is cut: it is the sender's text.
CLUSTER_NAME_CHARS = 64


def utcnow() -> datetime:
    return datetime.now(UTC)


class Pipeline:
    def __init__(self, settings: Settings, *, cluster: Cluster, ledger: Ledger, diagnoser: Diagnoser,
                 clock: Callable[[], datetime] = utcnow, memory_metrics: MemoryMetrics | None = None,
                 fast_path: duplicates.FastPath | None = None) -> None:
        self.settings = settings
        self.cluster = cluster
        self.ledger = ledger if isinstance(ledger, MeteredLedger) else MeteredLedger(ledger)
        self.diagnoser = diagnoser
        self.clock = clock
        self.memory_metrics = memory_metrics
        # One per pipeline, so one per instance; replay builds a pipeline per bundle, so it never answers from here.
        self.fast_path = fast_path or duplicates.FastPath(
            ttl_seconds=settings.duplicate_ttl_seconds, max_entries=settings.duplicate_cache_entries,
            flush_seconds=settings.duplicate_flush_seconds)

    @property
    def writer(self) -> SafeWriter:
        """The safe write path over this pipeline's current cluster and ledger."""
        return SafeWriter(self.settings, cluster=self.cluster, ledger=self.ledger)

    def handle(self, event: events.PodEvent, *, now: datetime | None = None) -> AuditRecord:
        started = time.monotonic()
        now = now or self.clock()
        calls_before, ledger_before = getattr(self.cluster, "calls", 0), self.ledger.calls
        record = self._handle(event, now)
        return record.model_copy(update={
            "event": incident.event_summary(event), "api_calls": getattr(self.cluster, "calls", 0) - calls_before,
            "ledger_ops": self.ledger.calls - ledger_before, "duration_ms": int((time.monotonic() - started) * 1000)})

    def _handle(self, event: events.PodEvent, now: datetime) -> AuditRecord:
        why_not = self._why_not_read(event, now)
        if why_not is not None:
            return incident.record(None, Outcome("ignored", why_not))
        hit = self.fast_path.answer(event, cluster=self.settings.cluster_name)
        if hit is not None:
            self._count_duplicates(hit.incident.key, hit.flush, now)
            record = incident.record(hit.incident, Outcome("ignored", hit.reason))
            # The incident's chain starts at the pod that opened it; this event is about its own pod.
            return record.model_copy(update={"owner_chain": [f"Pod/{event.involved_object.name}",
                                                             *record.owner_chain[1:]]})
        try:
            # The configured name, not the event's: a forged clusterName would mint fresh incident keys
            # and slip past deduplication, cooldowns and the breaker.
            evidence = gather.identify(self.cluster, event, cluster=self.settings.cluster_name)
        except errors.NotFound as exc:
            return incident.record(None, Outcome("ignored", f"the pod is gone: {exc}"))
        except errors.ClusterRefused as exc:
            return incident.record(None, Outcome("escalated", f"KubeSent cannot read the pod's facts: {exc}. "
                                                              "Check its RBAC (see README)."))
        key = _incident_key(evidence)
        admitted = Incident(evidence=evidence, key=key,
                            admission=self.ledger.admit(key, now=now, claimant=event.metadata.uid))
        if admitted.admission.verdict is Verdict.DUPLICATE:
            flush = self.fast_path.joined(event, admitted, cluster=self.settings.cluster_name,
                                          settled=admitted.admission.settled)
            self._count_duplicates(key, flush, now)
            return incident.record(admitted, Outcome("ignored", f"duplicate: {admitted.admission.reason}"))
        snoozed = self._snoozed(admitted, now)
        if snoozed is not None:
            return snoozed
        self.fast_path.claimed(event, admitted, cluster=self.settings.cluster_name)
        try:
            try:
                # The ledger keeps what failed too: the notifier and the approval page show it from there.
                record = incident.record(admitted, self._judge(admitted, now)).model_copy(
                    update={"event": incident.event_summary(event)})
            except errors.TransientError:
                self.ledger.release(key)
                raise
            self.ledger.complete(key, record.model_dump(mode="json"), now=now)
        except BaseException:
            self.fast_path.forget(key)  # released, or not completed: the redelivery must reach the ledger
            raise
        self.fast_path.completed(key)
        return record

    def _snoozed(self, admitted: Incident, now: datetime) -> AuditRecord | None:
        """A person snoozed this incident (``ledger.snooze``): an ``ignored`` record saying so, and the claim
        released, so the ledger keeps the proposal (still approvable) and judges the incident after the snooze."""
        held = snooze.holding(self.ledger, admitted.key.id, admitted.admission, now=now)
        if held is None:
            return None
        self.ledger.release(admitted.key)
        return incident.record(admitted, Outcome("ignored", held.reason()))

    def _count_duplicates(self, key: IncidentKey, count: int, now: datetime) -> None:
        """Add the duplicates answered since the last flush to the incident's counter: best effort, never retried
        through Pub/Sub (the event itself is handled; each audit line already records it)."""
        if not count:
            return
        try:
            self.ledger.count_duplicates(key, count, now=now)
        except errors.LedgerUnavailable:
            self.fast_path.restore(key, count)

    def _why_not_read(self, event: events.PodEvent, now: datetime) -> str | None:
        """Why the event is ignored before anything is read, or None."""
        skip = events.why_skip(event, now=now, max_age_seconds=self.settings.max_event_age_seconds)
        if skip is not None:
            return skip
        if policy.namespace_denied(event.namespace, self.settings):
            return f"namespace {event.namespace} is deny-listed (KUBESENT_NAMESPACES_DENY)"
        if not policy.namespace_allowed(event.namespace, self.settings):
            # Not even read: its logs would otherwise leave the cluster in a prompt.
            return f"namespace {event.namespace} is not in KUBESENT_NAMESPACES_ALLOW"
        configured = self.settings.cluster_name
        if configured and event.cluster_name and event.cluster_name != configured:
            return (f"the event comes from cluster {errors.truncate(event.cluster_name, CLUSTER_NAME_CHARS)!r}; "
                    f"this instance serves {configured!r}")
        return None

    def _judge(self, admitted: Incident, now: datetime) -> Outcome:
        verdict, why = admitted.admission.verdict, admitted.admission.reason
        if verdict is Verdict.COOLDOWN:
            return Outcome("ignored", f"cooldown: {why}")
        if verdict is Verdict.RECURRENCE:
            return Outcome("escalated", f"the fix did not work: {why}")
        if verdict is Verdict.BREAKER and admitted.admission.breaker_first:
            return Outcome("escalated", f"circuit breaker: {why}")
        try:
            evidence = gather.complete(
                self.cluster, admitted.evidence, log_tail_lines=self.settings.log_tail_lines,
                log_limit_bytes=self.settings.log_limit_bytes, log_max_chars=self.settings.prompt_log_chars,
                memory_metrics=self.memory_metrics)
        except errors.ClusterRefused as exc:
            return Outcome("escalated", f"KubeSent cannot read the pod's events or logs: {exc}")
        admitted = Incident(evidence=evidence, key=admitted.key, admission=admitted.admission)
        try:
            diagnosis, report, model_budget = self._diagnose(evidence, admitted.key, now)
            outcome = self._decide(admitted, diagnosis, report, now)
            return replace(outcome, model_budget=model_budget) if model_budget is not None else outcome
        except quantity.QuantityError as exc:
            # A malformed quantity in a template or an annotation is a fact for a person, not a crash that
            # Pub/Sub would retry into the dead-letter topic.
            return Outcome("escalated", f"KubeSent cannot read a quantity it needs: {exc}")

    def _decide(self, admitted: Incident, diagnosis: Diagnosis, report: ModelReport | None,
                now: datetime) -> Outcome:
        evidence = admitted.evidence
        patch, previous = remedies.render(diagnosis.remedy, evidence.owner, rollout=evidence.rollout)
        if patch is not None and (remedies.already_satisfied(diagnosis.remedy, evidence.owner)
                                  or remedies.is_noop(patch, evidence.owner)):
            return Outcome("ignored", "the workload's template already has this change (fixed since this pod "
                                      "was created)", diagnosis=diagnosis, report=report)
        last = self.ledger.last_remediation(admitted.key) if patch is not None else None
        total = remedies.total_factor(diagnosis.remedy, evidence.owner, last)
        # The first raise is bounded by the per-step rule alone (the VPA's +100Mi is ×11 on a 10Mi limit);
        # the total cap stops the raises after it.
        counted = total if last is not None and last.remedy == diagnosis.remedy.kind.value else 1.0
        checks = policy.Checks(
            breaker_open=admitted.admission.verdict is Verdict.BREAKER,
            template_drift=evidence.drift_for(diagnosis.remedy.container), total_factor=counted,
            uncorroborated=corroborate.uncorroborated(evidence, category=diagnosis.category,
                                                      container=diagnosis.remedy.container,
                                                      probe=diagnosis.remedy.probe))
        decision = policy.decide(diagnosis, evidence.owner, namespace=evidence.namespace, patch=patch,
                                 settings=self.settings, checks=checks)
        planned = Outcome(decision.action, decision.reason, diagnosis=diagnosis, report=report, patch=patch,
                          previous=previous)
        if decision.action in WRITING_ACTIONS and patch is not None:
            return self.writer.write(admitted, planned, checks=checks, total_factor=total, now=now)
        return planned

    def _diagnose(self, evidence: Evidence, key: IncidentKey,
                  now: datetime) -> tuple[Diagnosis, ModelReport | None, dict[str, Any] | None]:
        # Only the OOM rule reads the remediation history: other incidents skip the ledger read.
        history = self.ledger.history(key) if evidence.category is Category.OOM_KILLED else {}
        context = RuleContext(
            memory_ceiling_bytes=quantity.parse_bytes(self.settings.memory_ceiling),
            cpu_ceiling_millicores=quantity.parse_millicores(self.settings.cpu_ceiling),
            max_increase_factor=self.settings.max_increase_factor,
            max_total_increase_factor=self.settings.max_total_increase_factor,
            last_remediation=annotation.parse(evidence.owner.annotations),
            memory_raises={name: h.template_hashes for name, h in history.items()
                           if RemedyKind.RAISE_MEMORY_LIMIT.value in h.remedies},
            original_memory_limits={name: str(h.original["memory_limit"]) for name, h in history.items()
                                    if h.original.get("memory_limit")})
        found = registry.diagnose(evidence, context) if self.settings.rules == "on" else None
        if found is not None:
            return found, None, None
        occurred = evidence.event.occurred_at or now
        fresh = (now - occurred).total_seconds() < self.settings.max_event_age_seconds * FRESH_SHARE_OF_MAX_AGE
        cached = self.ledger.cached_diagnosis(key)
        grant = self._take_model_call(now) if cached is None else None
        if grant is not None and not grant.allowed:
            return Diagnosis(category=evidence.category, remedy=ESCALATE, confidence=0, source="none",
                             root_cause=grant.reason()), None, grant.audit()
        model_budget = grant.audit() if grant is not None else None
        try:
            outcome = self.diagnoser.diagnose(evidence, cached=cached, fresh=fresh)
        except (errors.ConfigurationError, errors.SecretUnavailable) as exc:
            unavailable = Diagnosis(category=evidence.category, remedy=ESCALATE, confidence=0, source="none",
                                    root_cause=f"diagnosis unavailable: the model is misconfigured ({exc})")
            return unavailable, None, model_budget
        if outcome.to_cache is not None and cached is None:
            self.ledger.store_diagnosis(key, outcome.to_cache, now=now)
        return outcome.diagnosis, outcome.report, model_budget

    def _take_model_call(self, now: datetime) -> budget.Grant | None:
        """One call from the budget all instances share; None when no model is configured (nothing to count).
        A cached diagnosis never gets here: it costs no call."""
        if isinstance(self.diagnoser, NullDiagnoser):
            return None
        return self.ledger.take_model_call(now=now, limits=budget.Limits(
            per_hour=self.settings.model_calls_per_hour, per_day=self.settings.model_calls_per_day))


def _incident_key(evidence: Evidence) -> IncidentKey:
    return IncidentKey(cluster=evidence.cluster, namespace=evidence.namespace, owner_kind=evidence.owner.kind,
                       owner_name=evidence.owner.name, container=evidence.focus_container or "",
                       category=evidence.category.value, template_hash=evidence.template_hash)
