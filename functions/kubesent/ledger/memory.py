"""``MemoryLedger``: the incident ledger in one process's memory, for tests, replay and the demo.

Same semantics as ``FirestoreLedger`` (both pass ``tests/ledger``): one lock makes each ``admit``
atomic, which is what Firestore's create-if-absent and update preconditions give across processes.
Never shared between processes; never raises ``LedgerUnavailable``.
"""

from __future__ import annotations

import copy
import threading
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from kubesent import ledger
from kubesent.ledger import budget


@dataclass
class _Claim:
    status: str  # claimed | done | released
    lease_until: datetime
    expire_at: datetime
    diagnosis: dict[str, Any] | None = None
    record: dict[str, Any] | None = None
    duplicates: int = 0
    claimant: str = ""
    claimed_at: datetime | None = None


def as_utc(moment: datetime) -> datetime:
    """Aware UTC datetime; a naive one is taken to be UTC already (as Firestore does)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class MemoryLedger:
    """A thread-safe in-memory ``ledger.Ledger``."""

    def __init__(self, settings: ledger.Settings | None = None) -> None:
        self.settings = settings or ledger.Settings()
        self._lock = threading.Lock()
        self._claims: dict[str, _Claim] = {}
        self._remediations: dict[str, ledger.Remediation] = {}
        # scope id -> workload id -> when it last failed (a sliding window is filtered on read).
        self._histories: dict[str, dict[str, ledger.ContainerHistory]] = {}
        self._failing: dict[str, dict[str, datetime]] = {}
        # scope id -> end of the open breaker window.
        self._trips: dict[str, datetime] = {}
        # budget window document id -> model calls counted; the windows whose exhaustion was notified.
        self._model_calls: dict[str, int] = {}
        self._budget_markers: set[str] = set()

    def admit(self, key: ledger.IncidentKey, *, now: datetime, claimant: str = "") -> ledger.Admission:
        now = as_utc(now)
        settings = self.settings
        with self._lock:
            claim = self._claims.get(key.id)
            if claim is not None and claim.status == "done":
                return ledger.Admission(ledger.Verdict.DUPLICATE, "duplicate: incident already handled",
                                        settled=True)
            ours = claim is not None and ledger.retakes(claimant=claimant, holder=claim.claimant,
                                                        claimed_at=claim.claimed_at, now=now)
            if claim is not None and claim.status == "claimed" and claim.lease_until > now and not ours:
                return ledger.Admission(ledger.Verdict.DUPLICATE,
                                        f"duplicate: claimed by another handler until {claim.lease_until.isoformat()}")
            lease_until = now + timedelta(seconds=settings.lease_seconds)
            if claim is None:
                self._claims[key.id] = _Claim("claimed", lease_until, self._expire_at(now), claimant=claimant,
                                              claimed_at=now)
            else:  # an expired or released claim, or our own: take it over, keeping the cached diagnosis
                claim.status, claim.lease_until, claim.expire_at = "claimed", lease_until, self._expire_at(now)
                claim.claimant, claim.claimed_at = claimant, now

            last = self._remediations.get(key.workload_id)
            judged = ledger.judge_history(key, last, now=now, settings=settings)
            if judged is not None:
                if judged.verdict is ledger.Verdict.RECURRENCE and last is not None:
                    self._remediations[key.workload_id] = replace(last, ineffective=True)
                return judged
            return self._judge_breaker(key, now=now)

    def _judge_breaker(self, key: ledger.IncidentKey, *, now: datetime) -> ledger.Admission:
        settings = self.settings
        since = now - timedelta(seconds=settings.breaker_window_seconds)
        counts: list[int] = []
        opened: list[bool] = []
        scopes = ledger.breaker_scopes(key)
        for scope, member in zip(scopes, ledger.breaker_members(key), strict=True):
            failing = self._failing.setdefault(scope, {})
            failing[member] = max(now, failing.get(member, now))
            for workload_id in [w for w, at in failing.items() if at < since]:
                del failing[workload_id]  # prune: the map stays bounded by the window
            counts.append(len(failing))
            opened.append(self._trips.get(scope, since) > now)
        namespace_action, cluster_action = ledger.judge_breaker(
            namespace_count=counts[0], cluster_count=counts[1], namespace_open=opened[0], cluster_open=opened[1],
            settings=settings)
        won = [self._trip(scope, now=now) if action == "trip" else False
               for scope, action in zip(scopes, (namespace_action, cluster_action), strict=True)]
        return ledger.breaker_admission(
            namespace_action=namespace_action, cluster_action=cluster_action, namespace_won=won[0],
            cluster_won=won[1], namespace_count=counts[0], cluster_count=counts[1], key=key, settings=settings)

    def _trip(self, scope: str, *, now: datetime) -> bool:
        # Called under the lock after an "is it open?" check, so the caller always wins.
        self._trips[scope] = now + timedelta(seconds=self.settings.breaker_window_seconds)
        return True

    def cached_diagnosis(self, key: ledger.IncidentKey) -> dict[str, Any] | None:
        with self._lock:
            claim = self._claims.get(key.id)
            return copy.deepcopy(claim.diagnosis) if claim and claim.diagnosis is not None else None

    def store_diagnosis(self, key: ledger.IncidentKey, answer: dict[str, Any], *, now: datetime) -> None:
        now = as_utc(now)
        with self._lock:
            claim = self._claims.setdefault(key.id, _Claim("released", now, self._expire_at(now)))
            claim.diagnosis = copy.deepcopy(answer)
            claim.expire_at = self._expire_at(now)

    def record_remediation(self, key: ledger.IncidentKey, remediation: ledger.Remediation) -> None:
        with self._lock:
            self._remediations[key.workload_id] = replace(remediation, at=as_utc(remediation.at))
            histories = self._histories.setdefault(key.workload_id, {})
            histories[remediation.container] = ledger.extend_history(histories.get(remediation.container),
                                                                     remediation)

    def history(self, key: ledger.IncidentKey) -> dict[str, ledger.ContainerHistory]:
        with self._lock:
            return dict(self._histories.get(key.workload_id, {}))

    def last_remediation(self, key: ledger.IncidentKey) -> ledger.Remediation | None:
        with self._lock:
            return self._remediations.get(key.workload_id)

    def complete(self, key: ledger.IncidentKey, record: dict[str, Any], *, now: datetime) -> None:
        now = as_utc(now)
        with self._lock:
            claim = self._claims.setdefault(key.id, _Claim("done", now, self._expire_at(now)))
            claim.status, claim.record, claim.expire_at = "done", copy.deepcopy(record), self._expire_at(now)

    def release(self, key: ledger.IncidentKey) -> None:
        with self._lock:
            claim = self._claims.get(key.id)
            if claim is not None and claim.status == "claimed":
                claim.status = "released"

    def count_duplicates(self, key: ledger.IncidentKey, count: int, *, now: datetime) -> None:
        now = as_utc(now)
        with self._lock:
            claim = self._claims.get(key.id)
            if claim is not None:
                claim.duplicates += count
                claim.expire_at = max(claim.expire_at, self._expire_at(now))

    def take_model_call(self, *, now: datetime, limits: budget.Limits) -> budget.Grant:
        windows = budget.windows(as_utc(now), limits)
        used: dict[str, int] = {}
        with self._lock:
            for window in windows:
                used[window.name] = self._model_calls.get(window.document_id, 0) + 1
                self._model_calls[window.document_id] = used[window.name]
                if not budget.judge(window, used[window.name]):
                    notify = window.document_id not in self._budget_markers
                    self._budget_markers.add(window.document_id)
                    used.update({w.name: self._model_calls.get(w.document_id, 0) for w in windows
                                 if w.name not in used})
                    return budget.Grant(used=used, limits={w.name: w.limit for w in windows}, exhausted=window,
                                        notify=notify)
        return budget.Grant(used=used, limits={w.name: w.limit for w in windows})

    def audit(self, key: ledger.IncidentKey) -> dict[str, Any] | None:
        """The stored claim (``status``, ``record``, ``expireAt``, ``duplicates``), for tests and the demo; not in
        the protocol."""
        with self._lock:
            claim = self._claims.get(key.id)
            if claim is None:
                return None
            return {"status": claim.status, "record": copy.deepcopy(claim.record), "expireAt": claim.expire_at,
                    "duplicates": claim.duplicates}

    def _expire_at(self, now: datetime) -> datetime:
        return now + timedelta(days=self.settings.ttl_days)

    # ---- markers and stored records (notifications, approvals)

    def stored_record(self, incident_id: str) -> dict[str, Any] | None:
        with self._lock:
            claim = self._claims.get(incident_id)
            return copy.deepcopy(claim.record) if claim is not None and claim.record is not None else None

    def read_marker(self, name: str) -> dict[str, Any] | None:
        with self._lock:
            found = self._marker_store().get(name)
            return copy.deepcopy(found) if found is not None else None

    def write_marker(self, name: str, value: dict[str, Any], *, now: datetime, create_only: bool) -> bool:
        with self._lock:
            markers = self._marker_store()
            if create_only and name in markers:
                return False
            markers[name] = copy.deepcopy(value)
            return True

    def breaker_open(self, key: ledger.IncidentKey, *, now: datetime) -> bool:
        now = as_utc(now)
        with self._lock:
            return any(self._trips.get(scope, now) > now for scope in ledger.breaker_scopes(key))

    # ---- the verification queue

    def _queue(self) -> dict[str, tuple[datetime, dict[str, Any]]]:
        return self.__dict__.setdefault("_verifications", {})  # type: ignore[no-any-return]

    def schedule_verification(self, incident_id: str, entry: dict[str, Any], *, due_at: datetime,
                              now: datetime) -> None:
        with self._lock:
            self._queue()[incident_id] = (as_utc(due_at), copy.deepcopy(entry))

    def due_verifications(self, *, now: datetime, limit: int) -> list[str]:
        now = as_utc(now)
        with self._lock:
            due = sorted((at, incident_id) for incident_id, (at, _) in self._queue().items() if at <= now)
        return [incident_id for _, incident_id in due[:limit]]

    def lease_verification(self, incident_id: str, *, now: datetime, until: datetime) -> dict[str, Any] | None:
        with self._lock:
            found = self._queue().get(incident_id)
            if found is None or found[0] > as_utc(now):
                return None
            self._queue()[incident_id] = (as_utc(until), found[1])
            return copy.deepcopy(found[1])

    def reschedule_verification(self, incident_id: str, entry: dict[str, Any], *, due_at: datetime) -> None:
        with self._lock:
            if incident_id in self._queue():
                self._queue()[incident_id] = (as_utc(due_at), copy.deepcopy(entry))

    def finish_verification(self, incident_id: str) -> None:
        with self._lock:
            self._queue().pop(incident_id, None)

    def _marker_store(self) -> dict[str, dict[str, Any]]:
        # Created on first use (not in __init__) so this addition stays apart from the claim logic.
        return self.__dict__.setdefault("_markers", {})  # type: ignore[no-any-return]
