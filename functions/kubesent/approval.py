"""One-click approval that re-checks everything (DESIGN.md principle 10; issue 15).

A signed, expiring, single-use token (``tokens``) names an incident and a decision. Approving:

1. the token: forged → 401, expired → 410, already used → 410 with the first answer (a double click
   or a replay changes nothing);
2. the proposal: the audit record the ledger stored for the incident, a ``proposed`` with a patch;
3. the facts now: the pod and its owner chain re-read (``evidence.gather``), the same incident key
   (same workload, container, failure and template), the remedy re-rendered on the workload as it is
   now: the same patch over the same old values, or the proposal is stale (changed, or already fixed);
4. every check of ``policy.decide``: owner proof and drift, GitOps, bounds, opt-out, namespaces, the
   breaker; the cooldown and recurrence of ``ledger.judge_history``. Only the confidence threshold and
   the auto-apply allow-list give way to the person's decision;
5. ``write.SafeWriter``: server-side dry-run, the patch with the resourceVersion precondition, the
   annotation (with the approver), the ledger record; then the audit line and the report.

Reject and snooze are recorded the same way, without touching the cluster. Called by
``approval_http`` (the ``kubesent_approve`` function) and the demo.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from kubesent import (
    approval_remedy,
    audit,
    errors,
    events,
    incident,
    ledger,
    policy,
    remedies,
    reporting,
    tokens,
    wiring,
)
from kubesent.audit import AuditRecord
from kubesent.cluster.api import Cluster
from kubesent.diagnosis.schema import Diagnosis, Remedy, RemedyKind
from kubesent.evidence import corroborate, gather
from kubesent.evidence import rollout as rollout_facts
from kubesent.evidence.category import Category
from kubesent.evidence.model import Evidence
from kubesent.incident import Incident, Outcome
from kubesent.ledger import IncidentKey, Ledger, snooze
from kubesent.objects import as_dict
from kubesent.settings import Settings
from kubesent.write import SafeWriter

# The remedies a person may approve: those KubeSent renders into a bounded patch (remedies.render).
# A rollback is written from the live previous ReplicaSet at the click, and the approver's admission policy bounds
# what it may change (image tags in the same repositories, limits, probe timing): a rollback that would change more
# is refused by the API server, and the person runs `kubectl rollout undo` themselves.
APPROVABLE = frozenset({RemedyKind.RAISE_MEMORY_LIMIT.value, RemedyKind.RAISE_CPU_LIMIT.value,
                        RemedyKind.FIX_PROBE.value, RemedyKind.FIX_IMAGE_REFERENCE.value,
                        RemedyKind.ADD_IMAGE_PULL_SECRET.value, RemedyKind.ROLLBACK_ROLLOUT.value})
# A decision left "pending" by a crashed instance may be taken over after this (the function's timeout is 60 s).
PENDING_LEASE_SECONDS = 300
# How long a snooze lasts; recorded as the marker snooze/<incident id>, honoured by the pipeline (ledger.snooze).
SNOOZE_SECONDS = snooze.SNOOZE_SECONDS



@dataclass(frozen=True)
class Answer:
    status: int
    """The HTTP status: 200 done, 401 forged, 404 unknown, 409 refused now, 410 expired, used or stale."""
    title: str
    detail: str
    record: AuditRecord | None = None


class Approver:
    def __init__(self, settings: Settings, *, cluster: Cluster, ledger: Ledger, key: bytes,
                 reporter: reporting.Reporter | None = None, clock: Callable[[], float] = time.time) -> None:
        self.settings = settings
        self.cluster = cluster
        self.ledger = ledger
        self.key = key
        self.reporter = reporter
        self.clock = clock

    def preview(self, token: str) -> tuple[Answer, tokens.Claims | None]:
        """What a GET shows: the proposal and the decision the link makes. Never writes."""
        try:
            claims = tokens.check(self.key, token, now=int(self.clock()))
        except tokens.TokenError as exc:
            return _refusal(exc), None
        used = self.ledger.read_marker(_marker(claims.incident_id))
        if used is not None and used.get("status") != "released":
            return _used(used), None
        stored = self.ledger.stored_record(claims.incident_id)
        if stored is None:
            return Answer(404, "Unknown proposal", "KubeSent has no record of this incident (expired?)."), None
        record = AuditRecord.model_validate(stored)
        return Answer(200, f"{claims.decision.capitalize()} this proposal?", record.reason, record), claims

    def check_token(self, token: str) -> tokens.Claims | Answer:
        """The token's claims, or the refusal of a forged or expired one. No I/O: a Slack click's token
        is checked this way before it is queued (``approval_slack``)."""
        try:
            return tokens.check(self.key, token, now=int(self.clock()))
        except tokens.TokenError as exc:
            return _refusal(exc)

    def decide(self, token: str, *, approver: str) -> Answer:
        """A POST: carry out the token's decision once, re-checking everything for an approval."""
        now = self.clock()
        try:
            claims = tokens.check(self.key, token, now=int(now))
        except tokens.TokenError as exc:
            return _refusal(exc)
        name = _marker(claims.incident_id)
        pending: dict[str, Any] = {"status": "pending", "nonce": claims.nonce, "decision": claims.decision,
                                   "by": approver}
        at = datetime.fromtimestamp(now, UTC)
        pending["at"] = now
        if not self.ledger.write_marker(name, pending, now=at, create_only=True):
            used = self.ledger.read_marker(name) or {}
            abandoned = used.get("status") == "pending" and now - float(used.get("at", now)) > PENDING_LEASE_SECONDS
            if used.get("status") != "released" and not abandoned:
                return _used(used)
            self.ledger.write_marker(name, pending, now=at, create_only=False)
        try:
            answer = self._carry_out(claims, approver=approver, now=at)
        except errors.TransientError:
            self.ledger.write_marker(name, {"status": "released"}, now=at, create_only=False)
            raise
        except errors.PermanentError as exc:
            # RBAC or admission refused a read, or a setting cannot work: a person must look; say why.
            answer = Answer(409, "Refused now", f"KubeSent could not carry this out: {errors.truncate(str(exc))}")
        # A snooze is "not now", not a decision: the proposal stays approvable (or rejectable) with its links.
        status = "released" if claims.decision == "snooze" and answer.status == 200 else "done"
        self.ledger.write_marker(name, {**pending, "status": status, "answer": answer.status, "title": answer.title,
                                        "detail": answer.detail}, now=at, create_only=False)
        if answer.record is not None:
            audit.emit(answer.record)
            if self.reporter is not None:
                self.reporter.report(answer.record)
        return answer

    def _carry_out(self, claims: tokens.Claims, *, approver: str, now: datetime) -> Answer:
        stored = self.ledger.stored_record(claims.incident_id)
        if stored is None:
            return Answer(404, "Unknown proposal", "KubeSent has no record of this incident (expired?).")
        proposal = AuditRecord.model_validate(stored)
        if proposal.action == "applied":
            return Answer(410, "Already fixed", f"this incident was already fixed: {proposal.reason}")
        if claims.decision != "approve":
            return self._record_only(proposal, claims, approver=approver, now=now)
        if proposal.action != "proposed" or not proposal.patch or proposal.remedy not in APPROVABLE:
            return Answer(409, "Nothing to approve", f"this incident ended as {proposal.action}: {proposal.reason}")
        return self._approve(proposal, approver=approver, now=now)

    def _record_only(self, proposal: AuditRecord, claims: tokens.Claims, *, approver: str,
                     now: datetime) -> Answer:
        verb = {"reject": "rejected", "snooze": f"snoozed for {SNOOZE_SECONDS // 3600} h"}[claims.decision]
        if claims.decision == "snooze":
            snooze.snooze(self.ledger, claims.incident_id, by=approver, now=now, seconds=SNOOZE_SECONDS)
        record = proposal.model_copy(update={"reason": f"{verb} by {approver}; nothing written. The proposal was: "
                                                       f"{proposal.reason}"})
        return Answer(200, verb.capitalize().split(" for")[0], record.reason, record)

    def _approve(self, proposal: AuditRecord, *, approver: str, now: datetime) -> Answer:
        remedy = approval_remedy.from_patch(proposal.remedy or "", proposal.patch or {})
        if remedy is None:
            return Answer(409, "Nothing to approve", "the proposal's patch is not one KubeSent renders")
        try:
            evidence = self._facts_now(proposal)
        except errors.NotFound as exc:
            return Answer(410, "Stale proposal", f"the pod is gone: {exc}")
        key = _key(evidence)
        if key.id != proposal.incident_id:
            return Answer(410, "Stale proposal", "the workload changed since the proposal (its owner, container, "
                                                 "failure or pod template is no longer the one proposed for)")
        if remedies.already_satisfied(remedy, evidence.owner):
            return Answer(410, "Already fixed", "the workload already has this change")
        patch, previous = remedies.render(remedy, evidence.owner, rollout=evidence.rollout)
        if patch is None or remedies.is_noop(patch, evidence.owner):
            return Answer(410, "Already fixed", "the workload already has this change")
        if patch != proposal.patch or previous != (proposal.previous or {}):
            return Answer(410, "Stale proposal", f"the workload changed since the proposal: the fields it changes "
                                                 f"were {proposal.previous}, they are now {previous}")
        refusal = self._history_refusal(key, now=now)
        if refusal is not None:
            return Answer(409, "Refused now", refusal)
        send = None
        if remedy.kind is RemedyKind.ROLLBACK_ROLLOUT:
            found = self._rollback_template(evidence)
            if isinstance(found, Answer):
                return found
            send = {"spec": {"template": {"$patch": "replace", **found}}}
        return self._write(proposal, evidence, key, remedy=remedy, patch=patch, previous=previous,
                           approver=approver, now=now, send=send)

    def _rollback_template(self, evidence: Evidence) -> dict[str, Any] | Answer:
        """The previous revision's template, read live (env values and all), if it still serves."""
        rollout = evidence.rollout
        if rollout is None or rollout.previous is None or not rollout.newest:
            return Answer(410, "Stale proposal", "the failing revision is no longer the Deployment's newest")
        if rollout.previous.available < 1:
            return Answer(409, "Refused now", f"the previous revision ({rollout.previous.name}) no longer has an "
                                              "available pod: rolling back to it would not restore service")
        replica_set = self.cluster.read(api_version="apps/v1", kind="ReplicaSet", namespace=evidence.namespace,
                                        name=rollout.previous.name)
        template = rollout_facts.restorable_template(replica_set)
        # The proposal's template was compared with this ReplicaSet's moments ago (``render``, env values masked);
        # the uid proves it is still that object, and not one re-created under the same name since.
        if as_dict(replica_set.get("metadata")).get("uid") != rollout.previous.uid or not template.get("spec"):
            return Answer(410, "Stale proposal", f"ReplicaSet {rollout.previous.name} changed since the proposal")
        return template

    def _facts_now(self, proposal: AuditRecord) -> Evidence:
        # The ledger's copy carries the event summary; a record stored before it did names the pod in its chain.
        event = proposal.event
        chain_pod = next((link.split("/", 1)[1] for link in proposal.owner_chain if link.startswith("Pod/")), "")
        namespace = event.get("namespace") or (proposal.target.namespace if proposal.target else "")
        pod_event = events.parse_event({
            "kind": "Event", "type": "Warning", "reason": event.get("reason", ""), "message": event.get("message", ""),
            "metadata": {"namespace": namespace},
            "involvedObject": {"kind": "Pod", "namespace": namespace, "name": event.get("pod") or chain_pod,
                               "uid": event.get("uid", "")}})
        found = gather.identify(self.cluster, pod_event, cluster=self.settings.cluster_name)
        # The failure category came from the event the proposal answered; the synthetic one here has none.
        category = (proposal.incident or "").rsplit("/", 2)[-2:-1]
        if category and category[0] in set(Category):
            found = replace(found, category=Category(category[0]))
        return gather.complete(self.cluster, found, log_tail_lines=self.settings.log_tail_lines,
                               log_limit_bytes=self.settings.log_limit_bytes,
                               log_max_chars=self.settings.prompt_log_chars)

    def _history_refusal(self, key: IncidentKey, *, now: datetime) -> str | None:
        last = self.ledger.last_remediation(key)
        judged = ledger.judge_history(key, last, now=now, settings=wiring.ledger_settings(self.settings))
        if judged is not None:
            return judged.reason
        return None

    def _write(self, proposal: AuditRecord, evidence: Evidence, key: IncidentKey, *, remedy: Remedy,
               patch: dict[str, Any], previous: dict[str, Any], approver: str, now: datetime,
               send: dict[str, Any] | None = None) -> Answer:
        category = Category(proposal.category) if proposal.category in set(Category) else evidence.category
        diagnosis = Diagnosis(category=category, root_cause=proposal.root_cause[:1000] or "approved proposal",
                              remedy=remedy, confidence=proposal.confidence, evidence=tuple(proposal.evidence),
                              source=proposal.diagnosed_by or "rule")
        last = self.ledger.last_remediation(key)
        total = remedies.total_factor(remedy, evidence.owner, last)
        counted = total if last is not None and last.remedy == remedy.kind.value else 1.0
        checks = policy.Checks(
            breaker_open=self.ledger.breaker_open(key, now=now),
            template_drift=evidence.drift_for(remedy.container), total_factor=counted,
            uncorroborated=corroborate.uncorroborated(evidence, category=diagnosis.category,
                                                      container=remedy.container, probe=remedy.probe))
        # The person's decision replaces exactly two checks: the confidence threshold and the allow-list.
        person = self.settings.model_copy(update={"confidence_threshold": 0,
                                                  "auto_apply_remedies": tuple(sorted(APPROVABLE))})
        decision = policy.decide(diagnosis, evidence.owner, namespace=evidence.namespace, patch=patch,
                                 settings=person, checks=checks)
        if decision.action not in audit.WRITING_ACTIONS:
            return Answer(409, "Refused now", f"the policy refuses it at the time of the click: {decision.reason}")
        admitted = Incident(evidence=evidence, key=key,
                            admission=ledger.Admission(ledger.Verdict.PROCEED, f"approved by {approver}"))
        planned = Outcome(decision.action, f"approved by {approver}: {decision.reason}", diagnosis=diagnosis,
                          patch=patch, previous=previous)
        outcome = SafeWriter(self.settings, cluster=self.cluster, ledger=self.ledger).write(
            admitted, planned, checks=checks, total_factor=total, now=now, approver=approver, send=send)
        record = incident.record(admitted, outcome).model_copy(update={"event": proposal.event})
        self.ledger.complete(key, record.model_dump(mode="json"), now=now)
        if outcome.action == "applied":
            return Answer(200, "Applied", f"approved by {approver}; the patch was written", record)
        if outcome.action == "dry_run":
            return Answer(200, "Passed every check (dry-run)", outcome.reason, record)
        return Answer(409, "Refused now", outcome.reason, record)


def _marker(incident_id: str) -> str:
    return f"approval/{incident_id}"


def _key(evidence: Evidence) -> IncidentKey:
    return IncidentKey(cluster=evidence.cluster, namespace=evidence.namespace, owner_kind=evidence.owner.kind,
                       owner_name=evidence.owner.name, container=evidence.focus_container or "",
                       category=evidence.category.value, template_hash=evidence.template_hash)


def _refusal(exc: tokens.TokenError) -> Answer:
    if isinstance(exc, tokens.ExpiredToken):
        return Answer(410, "Link expired", "this approval link has expired; the proposal is too old to act on")
    return Answer(401, "Not a valid link", "this approval link is not signed by KubeSent")


def _used(marker: dict[str, Any]) -> Answer:
    if marker.get("status") == "pending":
        return Answer(409, "In progress", "this incident is being decided right now")
    return Answer(410, "Already decided", f"this incident was already decided ({marker.get('decision')} by "
                                          f"{marker.get('by')}): {marker.get('title')}: {marker.get('detail')}")
