"""The incident ledger seam: claims, cooldowns, recurrence, circuit breaker, model cache, audit.

Implementations: ``ledger.memory.MemoryLedger`` (one process: tests, replay) and
``ledger.firestore.FirestoreLedger`` (production; the only importer of ``google.cloud.firestore``).
Both must pass the same contract tests. Backend faults raise ``errors.LedgerUnavailable`` so the
message is retried; nothing is ever remediated without a won claim.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from kubesent.ledger import budget


@dataclass(frozen=True)
class IncidentKey:
    """One incident: every pod of one workload template failing the same way is the same incident."""

    cluster: str
    namespace: str
    owner_kind: str
    owner_name: str
    container: str
    category: str
    template_hash: str

    @property
    def id(self) -> str:
        """A document-id-safe digest of the key (names may contain ``/`` or be long)."""
        text = "\x1f".join((self.cluster, self.namespace, self.owner_kind, self.owner_name,
                            self.container, self.category, self.template_hash))
        return hashlib.sha256(text.encode()).hexdigest()[:40]

    @property
    def workload_id(self) -> str:
        text = "\x1f".join((self.cluster, self.namespace, self.owner_kind, self.owner_name))
        return hashlib.sha256(text.encode()).hexdigest()[:40]

    def describe(self) -> str:
        return (f"{self.cluster or '-'}/{self.namespace}/{self.owner_kind}/{self.owner_name}"
                f"/{self.container or '-'}/{self.category}/{self.template_hash or '-'}")


class Verdict(StrEnum):
    """What the ledger says about a new event, in the order it is checked."""

    PROCEED = "proceed"
    """This handler won the claim: diagnose and decide."""
    DUPLICATE = "duplicate"
    """Another handler holds a live claim, or the incident was already handled: ignore."""
    COOLDOWN = "cooldown"
    """Same failure on the same (pre-patch) template shortly after a remediation: ignore."""
    RECURRENCE = "recurrence"
    """Same failure came back on the patched template: the fix did not work; escalate."""
    BREAKER = "breaker"
    """Too many workloads failing in the scope: systemic; escalate once, then hold."""


# Pub/Sub redelivers a failed message after its retry policy's minimum backoff (10 s, infra/pubsub.tf): a
# claim by the same message at least this old is its own failed attempt; younger, a concurrent duplicate.
RETAKE_AFTER_SECONDS = 5.0


def retakes(*, claimant: str, holder: str, claimed_at: datetime | None, now: datetime) -> bool:
    """Whether a live claim held by ``holder`` is this ``claimant``'s own earlier, failed attempt."""
    return bool(claimant) and holder == claimant and claimed_at is not None and (
        (now - claimed_at).total_seconds() >= RETAKE_AFTER_SECONDS)


# A container keeps the template hashes of its last few changes: enough to tell an old pod from a new one.
MAX_TEMPLATE_HASHES = 10


@dataclass(frozen=True)
class Remediation:
    """A patch KubeSent wrote (or would have written, in dry-run) to a workload."""

    incident_id: str
    category: str
    remedy: str
    action: str  # applied | dry_run
    at: datetime
    template_hash: str
    """Pod-template hash of the failing pods before the patch."""
    previous: dict[str, Any]
    """Pre-patch values of every field the patch changed, for a rollback."""
    patch: dict[str, Any]
    total_factor: float = 1.0
    """Product of all limit increases made by KubeSent on this workload so far."""
    ineffective: bool = False
    """Set by ``admit`` when the same failure came back on the patched template (RECURRENCE)."""
    container: str = ""
    """The container the remedy changed ("" for a pod-level change)."""


@dataclass(frozen=True)
class ContainerHistory:
    """Everything KubeSent ever changed in one container of a workload (within the ledger's TTL).

    Kept beside ``last`` so that neither a later remediation of something else nor a person's edit can
    hide an earlier raise: a failed fix is never repeated, and the total increase never resets."""

    original: dict[str, Any]
    """The values before KubeSent's first change of each field (``{"memory_limit": "64Mi"}``)."""
    remedies: tuple[str, ...]
    """The remedy kinds applied to this container, oldest first, each once."""
    template_hashes: tuple[str, ...]
    """The pod-template hashes the changes were made on (pods of these predate the change)."""
    count: int


def extend_history(history: ContainerHistory | None, remediation: Remediation) -> ContainerHistory:
    """The history after one more remediation: originals kept, the rest appended."""
    if history is None:
        return ContainerHistory(original=dict(remediation.previous), remedies=(remediation.remedy,),
                                template_hashes=(remediation.template_hash,), count=1)
    original = {**remediation.previous, **history.original}
    remedies = history.remedies + (() if remediation.remedy in history.remedies else (remediation.remedy,))
    hashes = history.template_hashes + (() if remediation.template_hash in history.template_hashes
                                        else (remediation.template_hash,))
    return ContainerHistory(original=original, remedies=remedies, template_hashes=hashes[-MAX_TEMPLATE_HASHES:],
                            count=history.count + 1)


@dataclass(frozen=True)
class Admission:
    verdict: Verdict
    reason: str
    last_remediation: Remediation | None = None
    breaker_first: bool = False
    """For BREAKER: this event tripped it (escalate); later ones only hold remediation."""
    settled: bool = False
    """For DUPLICATE: the incident is completed, not only claimed; an instance may answer its repeats from
    memory (a live claim may still be released, and its redelivery must then reach the ledger)."""


@dataclass(frozen=True)
class Settings:
    """The ledger's knobs (copied from ``kubesent.settings.Settings``)."""

    lease_seconds: int = 300
    cooldown_seconds: int = 1800
    recurrence_window_seconds: int = 86400
    breaker_namespace_workloads: int = 5
    breaker_cluster_namespaces: int = 5
    breaker_window_seconds: int = 300
    ttl_days: int = 30


class Ledger(Protocol):
    """Shared incident state. All methods take ``now`` so tests control the clock."""

    def admit(self, key: IncidentKey, *, now: datetime, claimant: str = "") -> Admission:
        """Claim the incident and judge it, atomically per incident key.

        ``claimant`` names what is being handled (the forwarded Event's uid): a redelivery of the same
        message after a fault (``RETAKE_AFTER_SECONDS`` or later) finds its own claim and takes it back,
        where another event of the same incident, or the same message delivered twice at once, is a
        duplicate. Without it, every call is a new claimant.

        1. Claim with create-if-absent. A live claim (lease not expired) or a completed incident
           → DUPLICATE. An expired lease is taken over by exactly one handler.
        2. The workload's last remediation, same category: within the cooldown and with the same
           template hash → COOLDOWN; with a different template hash within the recurrence window →
           RECURRENCE (the remediation is marked ``ineffective``).
        3. Circuit breaker: count distinct failing workloads in the namespace, and distinct namespaces
           with a failing workload in the cluster, within the window (this one included); over a limit →
           BREAKER (``breaker_first`` for the event that tripped it; it stays open for the window). A
           storm in one namespace holds that namespace only: it counts once for the cluster.
        Any verdict but PROCEED still leaves the claim in place, so redeliveries are duplicates.
        """
        ...

    def cached_diagnosis(self, key: IncidentKey) -> dict[str, Any] | None:
        """The model's validated answer for this incident, shared across instances."""
        ...

    def store_diagnosis(self, key: IncidentKey, answer: dict[str, Any], *, now: datetime) -> None:
        ...

    def record_remediation(self, key: IncidentKey, remediation: Remediation) -> None:
        """Remember a remediation on the workload, for cooldown, recurrence and rollback."""
        ...

    def last_remediation(self, key: IncidentKey) -> Remediation | None:
        """The workload's most recent remediation, any category."""
        ...

    def history(self, key: IncidentKey) -> dict[str, ContainerHistory]:
        """Per container of the workload, everything KubeSent changed in it."""
        ...

    def complete(self, key: IncidentKey, record: dict[str, Any], *, now: datetime) -> None:
        """Mark the claim done and store the audit record (with a TTL field ``expireAt``)."""
        ...

    def release(self, key: IncidentKey) -> None:
        """Drop a claim after a transient failure so the redelivery can take it at once."""
        ...

    def stored_record(self, incident_id: str) -> dict[str, Any] | None:
        """The audit record ``complete`` stored for this incident id, or None (unknown or expired)."""
        ...

    def read_marker(self, name: str) -> dict[str, Any] | None:
        """A small named marker (notification sent, approval used), or None."""
        ...

    def write_marker(self, name: str, value: dict[str, Any], *, now: datetime, create_only: bool) -> bool:
        """Store a marker (with the ledger's TTL). ``create_only``: only if absent; False when it already was."""
        ...

    def breaker_open(self, key: IncidentKey, *, now: datetime) -> bool:
        """Whether the circuit breaker holds the key's namespace or cluster now (a read: nothing is counted)."""
        ...

    def count_duplicates(self, key: IncidentKey, count: int, *, now: datetime) -> None:
        """Add ``count`` to the incident's ``duplicates`` counter (one write, however many)."""
        ...

    # ---- the verification queue (``verify``): one entry per applied patch, due when it should be checked

    def schedule_verification(self, incident_id: str, entry: dict[str, Any], *, due_at: datetime,
                              now: datetime) -> None:
        """Queue (or replace) the check of the patch written for ``incident_id``; ``entry`` is JSON-able."""
        ...

    def due_verifications(self, *, now: datetime, limit: int) -> list[str]:
        """Incident ids whose check is due (``due_at`` at or before ``now``), the oldest first, at most ``limit``."""
        ...

    def lease_verification(self, incident_id: str, *, now: datetime, until: datetime) -> dict[str, Any] | None:
        """Take a due entry atomically: its ``due_at`` moves to ``until`` (a crashed verifier's entry comes back
        then) and its entry is returned; None when it is not due or another verifier took it first."""
        ...

    def reschedule_verification(self, incident_id: str, entry: dict[str, Any], *, due_at: datetime) -> None:
        """Keep the entry queued, with what the last check learnt, until ``due_at``."""
        ...

    def finish_verification(self, incident_id: str) -> None:
        """Drop the entry: its outcome is decided (and recorded elsewhere)."""
        ...

    def take_model_call(self, *, now: datetime, limits: budget.Limits) -> budget.Grant:
        """Count one model call against the hour and the day shared by every instance, atomically.

        The hour is counted first, the day only if the hour allows it (``budget`` says why). A refused
        call tries the window's create-if-absent marker: ``notify`` for exactly one refusal per window.
        At most three document writes per call.
        """
        ...


# ---- Shared judgement: pure functions both implementations call, so their verdicts cannot drift.


def judge_history(key: IncidentKey, last: Remediation | None, *, now: datetime,
                  settings: Settings) -> Admission | None:
    """Step 2 of ``Ledger.admit``: COOLDOWN or RECURRENCE from the workload's last remediation.

    ``None`` means "go on to the breaker". A RECURRENCE admission carries the remediation already
    marked ``ineffective``; the caller persists the mark.
    """
    if last is None or last.category != key.category:
        return None
    age_seconds = (now - last.at).total_seconds()
    if last.template_hash == key.template_hash:
        if age_seconds < settings.cooldown_seconds:
            return Admission(Verdict.COOLDOWN,
                             f"cooldown: {last.remedy} ({last.action}) {age_seconds:.0f} s ago on the same "
                             f"template; cooldown is {settings.cooldown_seconds} s",
                             last_remediation=last)
        return None
    if age_seconds < settings.recurrence_window_seconds:
        return Admission(Verdict.RECURRENCE,
                         f"recurrence: {key.category} came back on template {key.template_hash or '-'} "
                         f"{age_seconds:.0f} s after {last.remedy} ({last.action}) patched template "
                         f"{last.template_hash or '-'}; the remediation was ineffective",
                         last_remediation=replace(last, ineffective=True))
    return None


def judge_breaker(*, namespace_count: int, cluster_count: int, namespace_open: bool, cluster_open: bool,
                  settings: Settings) -> tuple[str, str]:
    """Step 3 of ``Ledger.admit``: which scopes to trip, given the distinct failing workloads in the
    namespace and the distinct failing namespaces in the cluster.

    Returns ``(namespace_action, cluster_action)``, each ``"open"`` (already tripped and still
    within its window), ``"trip"`` (over the limit: try to win the trip marker) or ``""``.
    """
    def action(count: int, is_open: bool, limit: int) -> str:
        return "open" if is_open else ("trip" if count > limit else "")
    return (action(namespace_count, namespace_open, settings.breaker_namespace_workloads),
            action(cluster_count, cluster_open, settings.breaker_cluster_namespaces))


def breaker_admission(*, namespace_action: str, cluster_action: str, namespace_won: bool, cluster_won: bool,
                      namespace_count: int, cluster_count: int, key: IncidentKey,
                      settings: Settings) -> Admission:
    """The admission for step 3, once the trip markers were tried (``*_won``: this event created it)."""
    reasons = []
    if namespace_action:
        reasons.append(f"{namespace_count} workloads failing in namespace {key.namespace} within "
                       f"{settings.breaker_window_seconds} s (limit {settings.breaker_namespace_workloads})")
    if cluster_action:
        reasons.append(f"{cluster_count} namespaces with failing workloads in cluster {key.cluster or '-'} within "
                       f"{settings.breaker_window_seconds} s (limit {settings.breaker_cluster_namespaces})")
    if not reasons:
        return Admission(Verdict.PROCEED, "claimed: first handler for this incident")
    return Admission(Verdict.BREAKER, "breaker: " + "; ".join(reasons),
                     breaker_first=namespace_won or cluster_won)


def breaker_members(key: IncidentKey) -> tuple[str, str]:
    """What each breaker scope counts for this key: the workload in its namespace, the namespace in its
    cluster."""
    return key.workload_id, IncidentKey(key.cluster, key.namespace, "", "", "", "", "").workload_id


def breaker_scopes(key: IncidentKey) -> tuple[str, str]:
    """Document-id-safe ids of the key's breaker scopes: (its namespace, its cluster)."""
    return (IncidentKey(key.cluster, key.namespace, "", "", "", "breaker-namespace", "").id,
            IncidentKey(key.cluster, "", "", "", "", "breaker-cluster", "").id)
