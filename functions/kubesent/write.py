"""The safe write path: server-side dry-run, then the patch with a resourceVersion precondition and
KubeSent's annotation, then the ledger record and the queued verification (DESIGN.md principle 3). A limit raise carries
its undo record (``undo``), so the verifier can restore it if the raise made things worse.

A 409 means the workload changed under KubeSent: the change is re-read and re-decided before one more
try. A refusal by the API server (RBAC, admission, validation) ends in an escalation with nothing
written. Called by the pipeline; the one module that patches a workload.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from kubesent import errors, inplace, policy, remedies, undo, verify
from kubesent.audit import WRITING_ACTIONS, Action
from kubesent.cluster.api import Cluster
from kubesent.diagnosis.schema import Diagnosis
from kubesent.evidence import annotation, drift, podfacts
from kubesent.incident import Incident, Outcome
from kubesent.ledger import Ledger, Remediation
from kubesent.settings import Settings

# Who approved the change, when a person did (the approval endpoint); the admission policy allows it.
APPROVED_BY = "kubesent.dev/approved-by"
# One retry after a 409: a workload that keeps changing is being edited by someone else right now.
WRITE_ATTEMPTS = 2


class SafeWriter:
    def __init__(self, settings: Settings, *, cluster: Cluster, ledger: Ledger) -> None:
        self.settings = settings
        self.cluster = cluster
        self.ledger = ledger

    def write(self, incident: Incident, planned: Outcome, *, checks: policy.Checks, total_factor: float,
              now: datetime, approver: str | None = None, send: dict[str, Any] | None = None) -> Outcome:
        """Carry out a planned ``applied`` or ``dry_run``; the outcome says what really happened.

        ``approver``: the person who approved a proposal (``approval``), recorded on the workload too.
        ``send``: the patch to send when it differs from the one recorded (an approved rollback: the live
        ReplicaSet's template, whose env values never reach the ledger or a log)."""
        diagnosis, patch = planned.diagnosis, planned.patch
        assert diagnosis is not None and patch is not None and planned.action in WRITING_ACTIONS
        evidence, key = incident.evidence, incident.key
        owner = evidence.owner
        if owner.kind == "Pod":
            return inplace.InPlaceResizer(cluster=self.cluster, ledger=self.ledger).write(
                incident, planned, annotations=self._annotations(incident, diagnosis, planned, now),
                total_factor=total_factor, now=now)
        changes = undo.planned(kind=owner.kind, patch=patch, previous=planned.previous or {},
                               container=diagnosis.remedy.container)
        body = {**(send or patch), "metadata": {"resourceVersion": owner.resource_version,
                                      "annotations": self._annotations(incident, diagnosis, planned, now)
                                      | undo.as_annotations(changes) | ({APPROVED_BY: approver} if approver else {})}}
        target = {"api_version": owner.api_version, "kind": owner.kind,
                  "namespace": owner.namespace or evidence.namespace, "name": owner.name}
        outcome = planned
        written: dict[str, Any] = {}
        for attempt in range(1, WRITE_ATTEMPTS + 1):
            try:
                self.cluster.patch(**target, body=body, dry_run=True)
                outcome = replace(outcome, dry_run_result="accepted")
                if outcome.action == "dry_run":
                    return outcome
                written = self.cluster.patch(**target, body=body, dry_run=False)
                break
            except errors.Conflict as exc:
                if attempt == WRITE_ATTEMPTS:
                    raise errors.ClusterUnavailable(f"the workload kept changing under KubeSent: {exc}") from exc
                fresh_owner = self.cluster.read(**target)
                body["metadata"]["resourceVersion"] = (fresh_owner.get("metadata") or {}).get("resourceVersion", "")
                redecided = self._redecide(incident, diagnosis, patch, fresh_owner, checks=checks)
                if redecided is not None:
                    return replace(outcome, action=redecided[0], reason=redecided[1])
            except errors.ClusterRefused as exc:
                return replace(outcome, action="escalated", dry_run_result=f"refused: {exc}",
                               reason=f"the API server refused the patch ({exc}); nothing was written")
        self.ledger.record_remediation(key, Remediation(
            incident_id=key.id, category=key.category, remedy=diagnosis.remedy.kind.value, action="applied", at=now,
            template_hash=evidence.template_hash, previous=planned.previous or {}, patch=patch,
            total_factor=total_factor, container=diagnosis.remedy.container or ""))
        if owner.kind in verify.VERIFIED_KINDS:
            verify.schedule(self.ledger, verify.Pending(
                incident_id=key.id, api_version=owner.api_version, kind=owner.kind, namespace=target["namespace"],
                name=owner.name, uid=owner.uid, container=diagnosis.remedy.container or "",
                remedy=diagnosis.remedy.kind.value, category=key.category, patched_at=now,
                generation=int((written.get("metadata") or {}).get("generation") or 0),
                old_revision=evidence.template_hash, changes=tuple(changes), approver=approver or ""),
                settings=self.settings, now=now)
        return outcome

    def _annotations(self, incident: Incident, diagnosis: Diagnosis, planned: Outcome,
                     now: datetime) -> dict[str, str]:
        owner = incident.evidence.owner
        note = annotation.render(earlier=annotation.parse(owner.annotations), incident_id=incident.key.id,
                                 remedy=diagnosis.remedy.kind.value, container=diagnosis.remedy.container, at=now,
                                 template_hash=incident.evidence.template_hash, previous=planned.previous or {},
                                 reason=diagnosis.root_cause)
        return {annotation.LAST_REMEDIATION: note, annotation.INCIDENT: incident.key.id}

    def _redecide(self, incident: Incident, diagnosis: Diagnosis, patch: dict[str, Any],
                  fresh_owner: dict[str, Any], *, checks: policy.Checks) -> tuple[Action, str] | None:
        """After a 409: (action, reason) when the changed workload stops the write, None to try again.

        Every check runs again on the changed workload: the failing pod must still match its template
        (a new image or command means the evidence no longer describes it), and the total cap is
        recomputed from the new limit. The breaker and the corroboration are facts of the incident."""
        evidence = incident.evidence
        refreshed = podfacts.owner_facts(fresh_owner, None)
        if refreshed.uid != evidence.owner.uid:
            return "escalated", "after a conflict: the workload was deleted and re-created while KubeSent wrote to it"
        if remedies.already_satisfied(diagnosis.remedy, refreshed) or remedies.is_noop(patch, refreshed):
            return "ignored", "the workload changed meanwhile and already has this fix"
        try:
            pod = self.cluster.read(api_version="v1", kind="Pod", namespace=evidence.namespace,
                                    name=evidence.pod_name)
        except errors.NotFound:
            return "ignored", "after a conflict: the failing pod is gone"
        template_drift = (evidence.template_drift or drift.pod_drift(pod, fresh_owner)
                          or drift.container_drift(pod, fresh_owner, diagnosis.remedy.container))
        last = self.ledger.last_remediation(incident.key)
        total = remedies.total_factor(diagnosis.remedy, refreshed, last)
        counted = total if last is not None and last.remedy == diagnosis.remedy.kind.value else 1.0
        decision = policy.decide(diagnosis, refreshed, namespace=evidence.namespace, patch=patch,
                                 settings=self.settings,
                                 checks=replace(checks, template_drift=template_drift, total_factor=counted))
        if decision.action not in WRITING_ACTIONS:
            return decision.action, "after a conflict: " + decision.reason
        return None
