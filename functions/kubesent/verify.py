"""Verify every applied patch; undo the ones that made things worse (DESIGN.md principle 10; issue 16).

``SafeWriter`` queues a check in the ledger for each patch it writes to a workload (``schedule``). A trigger
(Cloud Scheduler → Pub/Sub → ``main.kubesent_verify``, once a minute) runs ``Verifier.run``: it leases the due
checks, re-reads each workload and its pods, and asks ``health.judge``:

* still rolling out → checked again after ``verify_interval_seconds``;
* **verified** → recorded, and the people who saw the fix are told;
* **not healed** → escalated (the failure's own event escalates as a recurrence too);
* **worse** or **stalled** → undone when KubeSent's change is still the last one: the workload's generation is
  the one KubeSent's patch made, and each raised limit still holds KubeSent's value. The restore goes through
  the same path as a fix: server-side dry-run, the resourceVersion precondition, an annotation; the admission
  policy allows exactly that restore (``undo``). Otherwise (a person or a GitOps tool changed the workload since)
  nothing is undone and a person is asked.

Every outcome is written to the ledger (marker ``verify/<incident id>``), one audit line and the report topic
(the notifier updates the incident's message). A verifier that dies mid-check loses nothing: the lease expires
and the check comes back. Called by ``main`` and the demo.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, fields, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from kubesent import audit, errors, health, objects, quantity, reporting, undo
from kubesent.audit import AuditRecord, Target
from kubesent.cluster.api import Cluster
from kubesent.ledger import Ledger
from kubesent.settings import Settings

VERIFIED_KINDS = frozenset({"Deployment", "StatefulSet", "DaemonSet"})
# A leased check comes back after this if its verifier died (the function's timeout is 60 s).
LEASE_SECONDS = 120
MARKER = "verify/{incident_id}"
# A restore meets the controllers' status writes (each moves the resourceVersion): read again, a few times.
UNDO_ATTEMPTS = 3


def utcnow() -> datetime:
    return datetime.now(UTC)



@dataclass(frozen=True)
class Pending:
    """One queued check: what was patched, how, and what the last check learnt."""

    incident_id: str
    api_version: str
    kind: str
    namespace: str
    name: str
    uid: str
    container: str
    remedy: str
    category: str
    patched_at: datetime
    generation: int
    """``metadata.generation`` of the workload as KubeSent's patch left it."""
    old_revision: str
    """The failing pods' template hash: pods of any other revision are the patched template's."""
    changes: tuple[undo.Change, ...] = ()
    approver: str = ""
    healthy_since: datetime | None = None
    checks: int = 0

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(patched_at=self.patched_at.isoformat(),
                    healthy_since=self.healthy_since.isoformat() if self.healthy_since else None)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Pending:
        try:
            changes = tuple(undo.Change(**change) for change in data.get("changes") or ())
            since = data.get("healthy_since")
            known = {name: value for name, value in data.items() if name in _PENDING_FIELDS}
            return cls(**{**known, "changes": changes, "patched_at": datetime.fromisoformat(data["patched_at"]),
                          "healthy_since": datetime.fromisoformat(since) if since else None})
        except (KeyError, TypeError, ValueError) as exc:
            raise errors.BadEvent(f"not a verification entry: {errors.truncate(str(exc))}") from exc


# An entry written by another version may carry fields this one does not know: they are left out, not fatal.
_PENDING_FIELDS = frozenset(field.name for field in fields(Pending))


def schedule(ledger: Ledger, pending: Pending, *, settings: Settings, now: datetime) -> None:
    """Queue the first check: as soon as the settle window could have passed."""
    ledger.schedule_verification(pending.incident_id, pending.to_json(),
                                 due_at=now + timedelta(seconds=min(settings.verify_interval_seconds,
                                                                    max(1, settings.verify_settle_seconds))),
                                 now=now)


class Verifier:
    def __init__(self, settings: Settings, *, cluster: Cluster, ledger: Ledger,
                 reporter: reporting.Reporter | None = None, clock: Callable[[], datetime] = utcnow) -> None:
        self.settings = settings
        self.cluster = cluster
        self.ledger = ledger
        self.reporter = reporter
        self.clock = clock

    def run(self, *, now: datetime | None = None) -> list[AuditRecord]:
        """Check every due patch once; the decided outcomes, as audit records (also logged and reported)."""
        now = now or self.clock()
        decided = []
        for incident_id in self.ledger.due_verifications(now=now, limit=self.settings.verify_batch):
            entry = self.ledger.lease_verification(incident_id, now=now, until=now + timedelta(seconds=LEASE_SECONDS))
            if entry is None:
                continue  # another verifier took it
            try:
                record = self.check(incident_id, entry, now=now)
            except errors.TransientError as exc:
                # The lease brings it back; the other checks go on.
                audit.log_problem("WARNING", "kubesent.verify_retry", incident_id=incident_id,
                                  error=type(exc).__name__, detail=errors.truncate(str(exc)))
                continue
            if record is not None:
                decided.append(record)
        return decided

    def check(self, incident_id: str, entry: dict[str, Any], *, now: datetime) -> AuditRecord | None:
        """One check: None while the rollout is still moving, else the outcome's record."""
        try:
            pending = Pending.from_json(entry)
        except errors.BadEvent as exc:
            self.ledger.finish_verification(incident_id)
            audit.log_problem("ERROR", "kubesent.verify_rejected", incident_id=incident_id, detail=str(exc))
            return None
        try:
            workload = self.cluster.read(api_version=pending.api_version, kind=pending.kind,
                                         namespace=pending.namespace, name=pending.name)
        except errors.NotFound:
            return self._decide(pending, "stalled", "the workload was deleted after KubeSent's patch", "", now)
        if objects.as_dict(workload.get("metadata")).get("uid") != pending.uid:
            return self._decide(pending, "stalled", "the workload was deleted and re-created after KubeSent's "
                                                    "patch", "", now)
        judgement = health.judge(
            workload, self._pods(pending, workload), kind=pending.kind, generation=pending.generation,
            old_revision=pending.old_revision, category=pending.category, patched_at=pending.patched_at,
            healthy_since=pending.healthy_since, now=now, settle_seconds=self.settings.verify_settle_seconds,
            default_deadline_seconds=self.settings.verify_deadline_seconds)
        if judgement.outcome == "pending":
            since = (pending.healthy_since or now) if judgement.healthy else None
            self.ledger.reschedule_verification(
                incident_id, replace(pending, healthy_since=since, checks=pending.checks + 1).to_json(),
                due_at=now + timedelta(seconds=self.settings.verify_interval_seconds))
            return None
        undone = self._undo(pending, workload, judgement, now) if judgement.outcome in ("worse", "stalled") else ""
        return self._decide(pending, judgement.outcome, judgement.reason, undone, now)

    def _pods(self, pending: Pending, workload: dict[str, Any]) -> list[dict[str, Any]]:
        """The workload's pods, proven by their owner references (a Deployment's through its ReplicaSets)."""
        selector = objects.as_dict(objects.as_dict(objects.as_dict(workload.get("spec")).get("selector"))
                                   .get("matchLabels"))
        labels = {str(k): str(v) for k, v in selector.items()}
        owners = {pending.uid}
        if pending.kind == "Deployment":
            owners = {str(objects.as_dict(rs.get("metadata")).get("uid"))
                      for rs in self.cluster.list_replicasets(namespace=pending.namespace, match_labels=labels)
                      if _owned_by(rs, pending.uid)}
        return [pod for pod in self.cluster.list_pods(namespace=pending.namespace, match_labels=labels or None)
                if any(_owned_by(pod, uid) for uid in owners)]

    def _undo(self, pending: Pending, workload: dict[str, Any], judgement: health.Judgement, now: datetime) -> str:
        """Restore the pre-patch limits when KubeSent's change is still the last one; what happened, in words."""
        if not self.settings.verify_undo:
            return "not undone: automatic undo is off (KUBESENT_VERIFY_UNDO=false)"
        if not pending.changes:
            return f"not undone: {pending.remedy} has no automatic undo; the previous values are in the record"
        target = {"api_version": pending.api_version, "kind": pending.kind, "namespace": pending.namespace,
                  "name": pending.name}
        for _ in range(UNDO_ATTEMPTS):
            blocker = _undo_blocker(pending, workload)
            if blocker:
                return blocker
            if self.settings.dry_run:
                return "not undone: dry-run mode (KUBESENT_DRY_RUN=true)"
            body = undo.restore_patch(
                pending.kind, list(pending.changes),
                resource_version=str(objects.as_dict(workload.get("metadata")).get("resourceVersion") or ""),
                note=f"{now.isoformat()} incident {pending.incident_id}: {judgement.outcome}")
            try:
                self.cluster.patch(**target, body=body, dry_run=True)
                self.cluster.patch(**target, body=body, dry_run=False)
            except errors.Conflict:
                # The controllers write the status all through a rollout, and each write moves the resourceVersion:
                # read again, and restore only if the spec is still as KubeSent's patch left it.
                workload = self.cluster.read(**target)
                continue
            except errors.ClusterRefused as exc:
                return f"not undone: the API server refused the restore ({errors.truncate(str(exc))})"
            return "undone: " + "; ".join(f"{_field_name(c)} restored to {c.old} (was {c.new})"
                                          for c in pending.changes)
        return "not undone: the workload kept changing while KubeSent restored it; a person decides"

    def _decide(self, pending: Pending, outcome: str, reason: str, undone: str, now: datetime) -> AuditRecord:
        verification = {"outcome": outcome, "detail": reason, "undo": undone, "checked_at": now.isoformat(),
                        "patched_at": pending.patched_at.isoformat(), "checks": pending.checks + 1}
        self.ledger.write_marker(MARKER.format(incident_id=pending.incident_id), verification, now=now,
                                 create_only=False)
        self.ledger.finish_verification(pending.incident_id)
        record = self._record(pending, outcome, reason, undone, verification)
        audit.emit(record)
        if self.reporter is not None:
            self.reporter.report(record)
        return record

    def _record(self, pending: Pending, outcome: str, reason: str, undone: str,
                verification: dict[str, Any]) -> AuditRecord:
        """The incident's stored record, moved on to the outcome (a fresh one when the ledger's has expired)."""
        action = "applied" if outcome == "verified" else "escalated"
        words = {"verified": "fix verified", "not_healed": "the fix did not heal the workload",
                 "worse": "the fix made things worse", "stalled": "the fix's rollout stalled"}[outcome]
        text = f"{words}: {reason}" + (f"; {undone}" if undone else "")
        stored = self.ledger.stored_record(pending.incident_id)
        update = {"action": action, "reason": text, "verification": verification, "api_calls": 0, "ledger_ops": 0,
                  "duration_ms": 0}
        if stored is not None:
            try:
                return AuditRecord.model_validate(stored).model_copy(update=update)
            except ValueError:
                pass
        return AuditRecord(action=action, reason=text, incident_id=pending.incident_id, category=pending.category,
                           remedy=pending.remedy, verification=verification,
                           target=Target(kind=pending.kind, namespace=pending.namespace, name=pending.name))


def _undo_blocker(pending: Pending, workload: dict[str, Any]) -> str:
    """Why the workload must not be restored (someone changed it after KubeSent), or ""."""
    metadata = objects.as_dict(workload.get("metadata"))
    generation = int(metadata.get("generation") or 0)
    if generation != pending.generation:
        return (f"not undone: the workload changed after KubeSent's patch (generation {pending.generation} → "
                f"{generation}), by a person or a GitOps tool; they decide")
    recorded = set(undo.parse({str(k): str(v) for k, v in objects.as_dict(metadata.get("annotations")).items()}))
    for change in pending.changes:
        live = undo.current_value(workload, pending.kind, container=change.container, resource=change.resource)
        if change not in recorded or live is None or not _same_quantity(live, change.new):
            return (f"not undone: {_field_name(change)} is no longer KubeSent's {change.new} (now {live}); "
                    "a person decides")
    return ""


def _field_name(change: undo.Change) -> str:
    if change.resource in undo.RESOURCES.values():
        return f"{change.resource} limit of {change.container}"
    return f"{change.resource} of {change.container}"


def _owned_by(obj: dict[str, Any], uid: str) -> bool:
    return any(objects.as_dict(ref).get("uid") == uid and objects.as_dict(ref).get("controller")
               for ref in objects.as_list(objects.as_dict(obj.get("metadata")).get("ownerReferences")))


def _same_quantity(left: str, right: str) -> bool:
    try:
        return quantity.parse(left) == quantity.parse(right)
    except quantity.QuantityError:
        return left == right
