"""``FirestoreLedger``: the incident ledger in Firestore, shared by every function instance.

The only module that imports ``google.cloud.firestore`` (lazily, on first use, so a cold start
that never reaches the ledger does not pay for it). Every SDK fault becomes
``errors.LedgerUnavailable`` so the event is redelivered; nothing is remediated without a claim.

Layout (every document carries ``expireAt`` for a Firestore TTL policy):

* ``{collection}/{IncidentKey.id}``: the claim (``status`` claimed|done|released, ``lease_until``,
  ``token``), the key's parts, the cached diagnosis (``diagnosis_json``) and the audit record.
* ``{collection}-workloads/{IncidentKey.workload_id}``: ``last``, the workload's last remediation
  (with ``ineffective``, pre-patch values and ``total_factor``).
* ``{collection}-breaker/w-{scope}-{bucket}``: map ``failing`` of member id (a workload in a namespace
  scope, a namespace in the cluster scope) -> last failure time,
  for a namespace or cluster scope and one window-long time bucket; the current and previous
  buckets together cover a sliding window.
* ``{collection}-breaker/trip-{scope}``: the trip marker, ``open_until``.
* ``{collection}-verifications/{incident id}``: the check of an applied patch, ``due_at`` and ``entry_json``
  (``verify``); leased by an ``update()`` with a ``last_update_time`` precondition, so one verifier checks it.
* ``{collection}-budget/{hour|day}-{UTC window}``: ``used``, the model calls counted in that window;
  ``{collection}-budget/exhausted-{hour|day}-{window}``: the marker of the window's one notification.

Race freedom: claims and trip markers use ``create()`` (fails with AlreadyExists; FACTS §4: a
read-then-create transaction failed under 8 writers); taking over an expired one is an
``update()`` with a ``last_update_time`` precondition, so exactly one handler wins. Each write
carries a random ``token``, so a write retried after a lost reply recognises itself. Breaker
failures are per-field merges into one map, which never lose a concurrent writer, and the count
is read after the write, so the last of N+1 concurrent writers always sees all N+1.
The model budget is one server-side increment per window whose result comes back with the write
(``transform_results``): every caller gets its own ordinal, so exactly ``limit`` calls are allowed per
window however many instances ask at once, with no transaction to contend on. A call is counted
before it is made; an increment retried after a lost reply may count one call twice, which errs
towards fewer calls. Model calls are rare (at most the budget per hour), far below Firestore's
per-document write rate, so the counters need no shards.
"""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from kubesent import errors, ledger
from kubesent.ledger import budget
from kubesent.ledger.memory import as_utc

if TYPE_CHECKING:
    from google.cloud import firestore as firestore_module

# Per attempt and for all retries of one call. Firestore answers in milliseconds (~2 ms on the
# emulator, FACTS §4); a call that needs seconds means the backend is down, and Pub/Sub redelivery
# is a better retry than holding the function instance.
DEFAULT_TIMEOUT_SECONDS = 5.0
# Backoff between retries of transient errors (UNAVAILABLE, DEADLINE_EXCEEDED...), bounded by the timeout.
RETRY_INITIAL_SECONDS = 0.1
RETRY_MAXIMUM_SECONDS = 1.0
RETRY_MULTIPLIER = 2.0
# Top-level record fields copied beside the JSON audit record, so the console can filter on them.
SUMMARY_TYPES = (str, int, float, bool)
# A claim document's status values.
CLAIMED, DONE, RELEASED = "claimed", "done", "released"


class FirestoreLedger:
    """``ledger.Ledger`` on Firestore (native mode)."""

    def __init__(self, settings: ledger.Settings, *, client: Any = None, project: str = "",
                 database: str = "(default)", collection: str = "kubesent-incidents",
                 timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS) -> None:
        self.settings = settings
        self._client: Any = client
        self._owns_client = client is None
        self._project = project
        self._database = database
        self._collection = collection
        self._timeout = timeout_seconds
        self._retry: Any = None

    # ---- plumbing

    def _firestore(self) -> firestore_module.Client:
        """The client, built on first use (it reads FIRESTORE_EMULATOR_HOST itself)."""
        if self._client is None:
            with _wrapped("connect"):
                from google.cloud import firestore
                self._client = firestore.Client(project=self._project or None, database=self._database)
        client: firestore_module.Client = self._client
        return client

    def _calls(self) -> dict[str, Any]:
        """``retry=`` and ``timeout=`` for every SDK call: bounded, never the SDK's long defaults."""
        if self._retry is None:
            from google.api_core import retry
            self._retry = retry.Retry(predicate=retry.if_transient_error, initial=RETRY_INITIAL_SECONDS,
                                      maximum=RETRY_MAXIMUM_SECONDS, multiplier=RETRY_MULTIPLIER,
                                      timeout=self._timeout)
        return {"retry": self._retry, "timeout": self._timeout}

    def _doc(self, suffix: str, document_id: str) -> Any:
        return self._firestore().collection(self._collection + suffix).document(document_id)

    def _expire_at(self, now: datetime) -> datetime:
        return now + timedelta(days=self.settings.ttl_days)

    def close(self) -> None:
        """Close the client if this ledger built it."""
        if self._client is not None and self._owns_client:
            self._client.close()
            self._client = None

    # ---- admit

    def admit(self, key: ledger.IncidentKey, *, now: datetime, claimant: str = "") -> ledger.Admission:
        now = as_utc(now)
        with _wrapped("claim the incident"):
            duplicate = self._claim(key, now=now, claimant=claimant)
        if duplicate is not None:
            return duplicate
        try:
            return self._judge(key, now=now)
        except errors.LedgerUnavailable:
            # A won claim left behind would turn the redelivery into a DUPLICATE (acked, lost) until
            # the lease ends; give it back if the backend still answers.
            with contextlib.suppress(errors.LedgerUnavailable):
                self.release(key)
            raise

    def _judge(self, key: ledger.IncidentKey, *, now: datetime) -> ledger.Admission:
        """Steps 2 and 3 of ``admit``, once the claim is won."""
        with _wrapped("judge the incident"):
            workload_ref = self._doc("-workloads", key.workload_id)
            snapshot = workload_ref.get(**self._calls())
            last = _remediation_from(_field(snapshot, "last"))
            judged = ledger.judge_history(key, last, now=now, settings=self.settings)
            if judged is not None:
                if judged.verdict is ledger.Verdict.RECURRENCE:
                    self._mark_ineffective(workload_ref, snapshot, now=now)
                return judged
            return self._judge_breaker(key, now=now)

    def _claim(self, key: ledger.IncidentKey, *, now: datetime, claimant: str) -> ledger.Admission | None:
        """Win the claim (``None``) or say why not (a DUPLICATE admission)."""
        from google.api_core import exceptions
        ref = self._doc("", key.id)
        token = uuid.uuid4().hex
        claim = {"status": CLAIMED, "lease_until": now + timedelta(seconds=self.settings.lease_seconds),
                 "claimed_at": now, "token": token, "expireAt": self._expire_at(now), "incident": key.describe(),
                 "cluster": key.cluster, "namespace": key.namespace, "owner_kind": key.owner_kind,
                 "owner_name": key.owner_name, "container": key.container, "category": key.category,
                 "template_hash": key.template_hash, "claimant": claimant}
        try:
            ref.create(claim, **self._calls())
            return None
        except exceptions.AlreadyExists:
            pass
        snapshot = ref.get(**self._calls())
        current = snapshot.to_dict() or {}
        if current.get("token") == token:  # our create succeeded, its reply was lost and retried
            return None
        if current.get("status") == DONE:
            return ledger.Admission(ledger.Verdict.DUPLICATE, "duplicate: incident already handled", settled=True)
        lease_until = current.get("lease_until")
        # A redelivery whose first attempt created the claim and then timed out (a slow backend, a lost
        # reply) finds the claim in its own name: it takes it back instead of calling itself a duplicate.
        ours = ledger.retakes(claimant=claimant, holder=str(current.get("claimant") or ""),
                              claimed_at=current.get("claimed_at"), now=now)
        if current.get("status") == CLAIMED and lease_until is not None and lease_until > now and not ours:
            return ledger.Admission(ledger.Verdict.DUPLICATE,
                                    f"duplicate: claimed by another handler until {lease_until.isoformat()}")
        if self._take_over(ref, snapshot, claim, token=token):
            return None
        return ledger.Admission(ledger.Verdict.DUPLICATE, "duplicate: another handler took over the expired claim")

    def _take_over(self, ref: Any, snapshot: Any, data: dict[str, Any], *, token: str) -> bool:
        """Update ``ref`` only if unchanged since ``snapshot``; True if this call's write is the one that landed."""
        from google.api_core import exceptions
        if not snapshot.exists:  # deleted meanwhile (TTL): compete on create again
            try:
                ref.create(data, **self._calls())
                return True
            except exceptions.AlreadyExists:
                return bool(_field(ref.get(**self._calls()), "token") == token)
        option = self._firestore().write_option(last_update_time=snapshot.update_time)
        try:
            ref.update(data, option=option, **self._calls())
            return True
        except exceptions.FailedPrecondition:
            return bool(_field(ref.get(**self._calls()), "token") == token)

    def _mark_ineffective(self, ref: Any, snapshot: Any, *, now: datetime) -> None:
        from google.api_core import exceptions
        option = self._firestore().write_option(last_update_time=snapshot.update_time)
        # A newer remediation (or a concurrent mark) may have landed: then there is nothing stale to mark.
        with contextlib.suppress(exceptions.FailedPrecondition):
            ref.update({"last.ineffective": True, "last.ineffective_at": now}, option=option, **self._calls())

    def _judge_breaker(self, key: ledger.IncidentKey, *, now: datetime) -> ledger.Admission:
        from google.cloud.firestore_v1.field_path import FieldPath
        window = self.settings.breaker_window_seconds
        bucket = int(now.timestamp() // window)
        since = now - timedelta(seconds=window)
        scopes = ledger.breaker_scopes(key)
        client = self._firestore()
        batch = client.batch()
        described = (f"{key.cluster or '-'}/{key.namespace}", key.cluster or "-")
        for scope, member, describe in zip(scopes, ledger.breaker_members(key), described, strict=True):
            batch.set(self._doc("-breaker", f"w-{scope}-{bucket}"),
                      {"failing": {member: now}, "scope": describe, "expireAt": self._expire_at(now)},
                      merge=[FieldPath("failing", member).to_api_repr(), "scope", "expireAt"])
        batch.commit(**self._calls())
        refs = [self._doc("-breaker", f"w-{scope}-{b}") for scope in scopes for b in (bucket, bucket - 1)]
        refs += [self._doc("-breaker", f"trip-{scope}") for scope in scopes]
        by_path = {snap.reference.path: snap for snap in client.get_all(refs, **self._calls())}
        snaps = [by_path[ref.path] for ref in refs]
        counts = [_count_failing(snaps[i * 2:i * 2 + 2], since=since) for i in range(len(scopes))]
        opened = [bool((_field(s, "open_until") or since) > now) for s in snaps[4:]]
        namespace_action, cluster_action = ledger.judge_breaker(
            namespace_count=counts[0], cluster_count=counts[1], namespace_open=opened[0], cluster_open=opened[1],
            settings=self.settings)
        won = [self._trip(refs[4 + i], snaps[4 + i], now=now) if action == "trip" else False
               for i, action in enumerate((namespace_action, cluster_action))]
        return ledger.breaker_admission(
            namespace_action=namespace_action, cluster_action=cluster_action, namespace_won=won[0],
            cluster_won=won[1], namespace_count=counts[0], cluster_count=counts[1], key=key, settings=self.settings)

    def _trip(self, ref: Any, snapshot: Any, *, now: datetime) -> bool:
        """Open the breaker; True for exactly one event per scope and window ("escalate once")."""
        from google.api_core import exceptions
        token = uuid.uuid4().hex
        marker = {"open_until": now + timedelta(seconds=self.settings.breaker_window_seconds), "opened_at": now,
                  "token": token, "expireAt": self._expire_at(now)}
        if snapshot.exists:  # an expired marker from an earlier window
            return self._take_over(ref, snapshot, marker, token=token)
        try:
            ref.create(marker, **self._calls())
            return True
        except exceptions.AlreadyExists:
            return bool(_field(ref.get(**self._calls()), "token") == token)

    # ---- the rest of the protocol

    def cached_diagnosis(self, key: ledger.IncidentKey) -> dict[str, Any] | None:
        with _wrapped("read the cached diagnosis"):
            snapshot = self._doc("", key.id).get(field_paths=["diagnosis_json"], **self._calls())
        text = (snapshot.to_dict() or {}).get("diagnosis_json") if snapshot.exists else None
        answer: dict[str, Any] | None = json.loads(text) if text else None
        return answer

    def store_diagnosis(self, key: ledger.IncidentKey, answer: dict[str, Any], *, now: datetime) -> None:
        now = as_utc(now)
        data = {"diagnosis_json": json.dumps(answer, sort_keys=True, default=str), "diagnosed_at": now,
                "expireAt": self._expire_at(now)}
        with _wrapped("store the diagnosis"):
            self._doc("", key.id).set(data, merge=list(data), **self._calls())

    def record_remediation(self, key: ledger.IncidentKey, remediation: ledger.Remediation) -> None:
        at = as_utc(remediation.at)
        with _wrapped("record the remediation"):
            ref = self._doc("-workloads", key.workload_id)
            # Read, extend, write: two remediations of one workload never race (claims and cooldowns
            # serialise them), and the history must keep its originals, which a blind merge cannot.
            histories = _histories_from(_field(ref.get(**self._calls()), "history_json"))
            histories[remediation.container] = ledger.extend_history(histories.get(remediation.container),
                                                                     remediation)
            data = {"last": _remediation_to(replace(remediation, at=at)), "workload": key.describe(),
                    "history_json": _histories_to(histories), "expireAt": self._expire_at(at)}
            # merge by top-level field: ``last`` is replaced whole (an old ``ineffective`` must not survive)
            ref.set(data, merge=list(data), **self._calls())

    def history(self, key: ledger.IncidentKey) -> dict[str, ledger.ContainerHistory]:
        with _wrapped("read the remediation history"):
            snapshot = self._doc("-workloads", key.workload_id).get(**self._calls())
        return _histories_from(_field(snapshot, "history_json"))

    def last_remediation(self, key: ledger.IncidentKey) -> ledger.Remediation | None:
        with _wrapped("read the last remediation"):
            snapshot = self._doc("-workloads", key.workload_id).get(**self._calls())
        return _remediation_from(_field(snapshot, "last"))

    def complete(self, key: ledger.IncidentKey, record: dict[str, Any], *, now: datetime) -> None:
        now = as_utc(now)
        summary = {name: value for name, value in record.items() if isinstance(value, SUMMARY_TYPES)}
        data = {"status": DONE, "completed_at": now, "record_json": json.dumps(record, sort_keys=True, default=str),
                "summary": summary, "expireAt": self._expire_at(now)}
        with _wrapped("complete the incident"):
            self._doc("", key.id).set(data, merge=list(data), **self._calls())

    def release(self, key: ledger.IncidentKey) -> None:
        from google.api_core import exceptions
        with _wrapped("release the claim"):
            ref = self._doc("", key.id)
            snapshot = ref.get(**self._calls())
            if _field(snapshot, "status") != CLAIMED:
                return  # never reopen a completed incident
            option = self._firestore().write_option(last_update_time=snapshot.update_time)
            # Someone else may have changed it (completed it, or taken it over): theirs stands.
            with contextlib.suppress(exceptions.FailedPrecondition):
                ref.update({"status": RELEASED}, option=option, **self._calls())

    def count_duplicates(self, key: ledger.IncidentKey, count: int, *, now: datetime) -> None:
        from google.cloud import firestore
        data = {"duplicates": firestore.Increment(count), "duplicates_at": as_utc(now)}
        with _wrapped("count the duplicates"):
            self._doc("", key.id).set(data, merge=True, **self._calls())

    def take_model_call(self, *, now: datetime, limits: budget.Limits) -> budget.Grant:
        now = as_utc(now)
        windows = budget.windows(now, limits)
        used: dict[str, int] = {}
        with _wrapped("count a model call"):
            for window in windows:
                used[window.name] = self._increment(window, now=now)
                if not budget.judge(window, used[window.name]):
                    for other in windows:
                        if other.name not in used:
                            used[other.name] = int(_field(self._budget_doc(other).get(**self._calls()), "used") or 0)
                    return budget.Grant(used=used, limits={w.name: w.limit for w in windows}, exhausted=window,
                                        notify=self._mark_exhausted(window, now=now))
        return budget.Grant(used=used, limits={w.name: w.limit for w in windows})

    def _budget_doc(self, window: budget.Window) -> Any:
        return self._doc("-budget", window.document_id)

    def _increment(self, window: budget.Window, *, now: datetime) -> int:
        """Add one call to the window's counter; the counter's new value, as the server computed it."""
        from google.cloud import firestore
        result = self._budget_doc(window).set(
            {"used": firestore.Increment(1), "window": window.document_id, "limit": window.limit,
             "expireAt": self._expire_at(now)}, merge=True, **self._calls())
        return int(result.transform_results[0].integer_value)

    def _mark_exhausted(self, window: budget.Window, *, now: datetime) -> bool:
        """Create the window's exhaustion marker; True for the one caller whose create landed."""
        from google.api_core import exceptions
        ref = self._doc("-budget", f"exhausted-{window.document_id}")
        token = uuid.uuid4().hex
        try:
            ref.create({"at": now, "limit": window.limit, "token": token, "expireAt": self._expire_at(now)},
                       **self._calls())
            return True
        except exceptions.AlreadyExists:  # another refusal won, or our own create was retried after a lost reply
            return bool(_field(ref.get(**self._calls()), "token") == token)

    def audit(self, key: ledger.IncidentKey) -> dict[str, Any] | None:
        """The stored claim (``status``, ``record``, ``expireAt``), for tests and the demo; not in the protocol."""
        with _wrapped("read the audit record"):
            snapshot = self._doc("", key.id).get(**self._calls())
        if not snapshot.exists:
            return None
        stored = snapshot.to_dict() or {}
        text = stored.get("record_json")
        return {"status": stored.get("status"), "record": json.loads(text) if text else None,
                "expireAt": stored.get("expireAt"), "duplicates": int(stored.get("duplicates") or 0)}

    # ---- markers and stored records (notifications, approvals)

    def stored_record(self, incident_id: str) -> dict[str, Any] | None:
        with _wrapped("read a stored record"):
            snapshot = self._doc("", incident_id).get(**self._calls())
        text = _field(snapshot, "record_json")
        return json.loads(text) if text else None

    def read_marker(self, name: str) -> dict[str, Any] | None:
        with _wrapped("read a marker"):
            snapshot = self._doc("-markers", _marker_id(name)).get(**self._calls())
        text = _field(snapshot, "value_json")
        return json.loads(text) if text else None

    def write_marker(self, name: str, value: dict[str, Any], *, now: datetime, create_only: bool) -> bool:
        from google.api_core import exceptions
        token = uuid.uuid4().hex
        data = {"name": name, "value_json": json.dumps(value, sort_keys=True, default=str),
                "expireAt": self._expire_at(as_utc(now)), "token": token}
        ref = self._doc("-markers", _marker_id(name))
        with _wrapped("write a marker"):
            if not create_only:
                ref.set(data, **self._calls())
                return True
            try:
                ref.create(data, **self._calls())
            except exceptions.AlreadyExists:
                # A create retried after a lost reply finds its own write: that is still a win.
                return bool(_field(ref.get(**self._calls()), "token") == token)
        return True


    # ---- the verification queue: {collection}-verifications/{incident id}, ``due_at`` + ``entry_json``

    def schedule_verification(self, incident_id: str, entry: dict[str, Any], *, due_at: datetime,
                              now: datetime) -> None:
        data = {"due_at": as_utc(due_at), "entry_json": json.dumps(entry, sort_keys=True, default=str),
                "expireAt": self._expire_at(as_utc(now))}
        with _wrapped("queue a verification"):
            self._doc("-verifications", incident_id).set(data, **self._calls())

    def due_verifications(self, *, now: datetime, limit: int) -> list[str]:
        from google.cloud.firestore_v1.base_query import FieldFilter
        # One range filter and its own order: served by Firestore's automatic single-field index.
        query = (self._firestore().collection(self._collection + "-verifications")
                 .where(filter=FieldFilter("due_at", "<=", as_utc(now))).order_by("due_at").limit(limit))
        with _wrapped("list due verifications"):
            return [snapshot.id for snapshot in query.stream(**self._calls())]

    def lease_verification(self, incident_id: str, *, now: datetime, until: datetime) -> dict[str, Any] | None:
        from google.api_core import exceptions
        ref = self._doc("-verifications", incident_id)
        with _wrapped("lease a verification"):
            snapshot = ref.get(**self._calls())
            due_at, text = _field(snapshot, "due_at"), _field(snapshot, "entry_json")
            if due_at is None or text is None or due_at > as_utc(now):
                return None
            option = self._firestore().write_option(last_update_time=snapshot.update_time)
            try:
                ref.update({"due_at": as_utc(until)}, option=option, **self._calls())
            except (exceptions.FailedPrecondition, exceptions.NotFound):
                return None  # another verifier leased (or finished) it first
        loaded = json.loads(text)
        return loaded if isinstance(loaded, dict) else None

    def reschedule_verification(self, incident_id: str, entry: dict[str, Any], *, due_at: datetime) -> None:
        from google.api_core import exceptions
        data = {"due_at": as_utc(due_at), "entry_json": json.dumps(entry, sort_keys=True, default=str)}
        with _wrapped("reschedule a verification"), contextlib.suppress(exceptions.NotFound):
            self._doc("-verifications", incident_id).update(data, **self._calls())

    def finish_verification(self, incident_id: str) -> None:
        with _wrapped("finish a verification"):
            self._doc("-verifications", incident_id).delete(**self._calls())

    def breaker_open(self, key: ledger.IncidentKey, *, now: datetime) -> bool:
        now = as_utc(now)
        refs = [self._doc("-breaker", f"trip-{scope}") for scope in ledger.breaker_scopes(key)]
        with _wrapped("read the circuit breaker"):
            snapshots = list(self._firestore().get_all(refs, **self._calls()))
        return any((_field(snapshot, "open_until") or now) > now for snapshot in snapshots)


@contextmanager
def _wrapped(doing: str) -> Iterator[None]:
    """Turn every SDK, auth and gRPC fault into ``LedgerUnavailable``."""
    from google.api_core import exceptions as api_exceptions
    from google.auth import exceptions as auth_exceptions
    try:
        yield
    except (api_exceptions.GoogleAPIError, auth_exceptions.GoogleAuthError) as exc:
        raise errors.LedgerUnavailable(errors.truncate(f"ledger: cannot {doing}: {exc}")) from exc
    except Exception as exc:
        import grpc
        if isinstance(exc, grpc.RpcError):
            raise errors.LedgerUnavailable(errors.truncate(f"ledger: cannot {doing}: {exc}")) from exc
        raise


def _field(snapshot: Any, name: str) -> Any:
    """A top-level field of a snapshot, ``None`` if the document or the field is missing."""
    return (snapshot.to_dict() or {}).get(name) if snapshot.exists else None


def _count_failing(snapshots: list[Any], *, since: datetime) -> int:
    failing: set[str] = set()
    for snapshot in snapshots:
        failing.update(w for w, at in (_field(snapshot, "failing") or {}).items() if at >= since)
    return len(failing)


def _histories_to(histories: dict[str, ledger.ContainerHistory]) -> str:
    return json.dumps({name: {"original": h.original, "remedies": list(h.remedies),
                              "template_hashes": list(h.template_hashes), "count": h.count}
                       for name, h in histories.items()}, sort_keys=True, default=str)


def _histories_from(stored: Any) -> dict[str, ledger.ContainerHistory]:
    if not isinstance(stored, str):
        return {}
    try:
        raw = json.loads(stored)
    except ValueError:
        return {}
    return {str(name): ledger.ContainerHistory(original=dict(h.get("original") or {}),
                                               remedies=tuple(h.get("remedies") or ()),
                                               template_hashes=tuple(h.get("template_hashes") or ()),
                                               count=int(h.get("count") or 0))
            for name, h in raw.items() if isinstance(h, dict)}


def _remediation_to(remediation: ledger.Remediation) -> dict[str, Any]:
    # previous/patch are JSON text: Firestore maps reject nested arrays and keys like "a.b".
    return {"incident_id": remediation.incident_id, "category": remediation.category, "remedy": remediation.remedy,
            "action": remediation.action, "at": remediation.at, "template_hash": remediation.template_hash,
            "previous_json": json.dumps(remediation.previous, sort_keys=True),
            "patch_json": json.dumps(remediation.patch, sort_keys=True),
            "total_factor": remediation.total_factor, "ineffective": remediation.ineffective,
            "container": remediation.container}


def _remediation_from(stored: dict[str, Any] | None) -> ledger.Remediation | None:
    if not stored:
        return None
    at: datetime = stored["at"]
    return ledger.Remediation(
        incident_id=stored["incident_id"], category=stored["category"], remedy=stored["remedy"],
        action=stored["action"], at=datetime.fromisoformat(at.isoformat()).astimezone(UTC),
        template_hash=stored["template_hash"], previous=json.loads(stored["previous_json"]),
        patch=json.loads(stored["patch_json"]), total_factor=float(stored["total_factor"]),
        ineffective=bool(stored.get("ineffective", False)), container=str(stored.get("container") or ""))


def _marker_id(name: str) -> str:
    """A document-id-safe id for a marker name (names hold ``/``)."""
    import hashlib
    return hashlib.sha256(name.encode()).hexdigest()[:40]
