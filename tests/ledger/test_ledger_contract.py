"""The ledger contract (``kubesent.ledger.Ledger``), run against MemoryLedger and FirestoreLedger."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from kubesent import ledger

T0 = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
# Enough threads to make a lost race likely if the claim were read-then-write (FACTS §4 saw 8 fail).
THREADS = 20
Result = TypeVar("Result")


def incident(*, namespace: str = "shop", owner_name: str = "api", container: str = "app",
             category: str = "oom_killed", template_hash: str = "h1", cluster: str = "dev") -> ledger.IncidentKey:
    return ledger.IncidentKey(cluster=cluster, namespace=namespace, owner_kind="Deployment", owner_name=owner_name,
                              container=container, category=category, template_hash=template_hash)


def remediation(key: ledger.IncidentKey, *, at: datetime) -> ledger.Remediation:
    return ledger.Remediation(
        incident_id=key.id, category=key.category, remedy="raise_memory_limit", action="applied", at=at,
        template_hash=key.template_hash, previous={"limits": {"memory": "128Mi"}},
        patch={"spec": {"template": {"spec": {"containers": [{"name": "app", "resources": {"limits": {
            "memory": "192Mi"}}}]}}}}, total_factor=1.5)


def at_once(calls: Sequence[Callable[[], Result]]) -> list[Result]:
    """Run every call in its own thread, released together by a barrier."""
    barrier = threading.Barrier(len(calls))
    results: list[Result | None] = [None] * len(calls)
    failures: list[BaseException] = []

    def run(index: int) -> None:
        barrier.wait()
        try:
            results[index] = calls[index]()
        except BaseException as exc:  # surfaced below, so a thread's failure fails the test
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures, failures
    return [result for result in results if result is not None]


# ---- claims


def test_concurrent_admits_of_one_incident_have_one_winner(ledger_factory: Callable[..., Any]) -> None:
    store = ledger_factory()
    key = incident()

    verdicts = Counter(a.verdict for a in at_once([lambda: store.admit(key, now=T0)] * THREADS))

    assert verdicts == {ledger.Verdict.PROCEED: 1, ledger.Verdict.DUPLICATE: THREADS - 1}


def test_completed_incident_is_a_duplicate_even_after_the_lease(ledger_factory: Callable[..., Any]) -> None:
    store = ledger_factory()
    key = incident()
    assert store.admit(key, now=T0).verdict is ledger.Verdict.PROCEED

    store.complete(key, {"action": "applied"}, now=T0)
    later = store.admit(key, now=T0 + timedelta(days=1))

    assert later.verdict is ledger.Verdict.DUPLICATE
    assert "already handled" in later.reason


def test_expired_lease_is_taken_over_once(ledger_factory: Callable[..., Any]) -> None:
    settings = ledger.Settings(lease_seconds=60)
    store = ledger_factory(settings)
    key = incident()
    assert store.admit(key, now=T0).verdict is ledger.Verdict.PROCEED

    within = store.admit(key, now=T0 + timedelta(seconds=59))
    after = at_once([lambda: store.admit(key, now=T0 + timedelta(seconds=61))] * THREADS)
    again = store.admit(key, now=T0 + timedelta(seconds=62))

    assert within.verdict is ledger.Verdict.DUPLICATE
    assert Counter(a.verdict for a in after) == {ledger.Verdict.PROCEED: 1, ledger.Verdict.DUPLICATE: THREADS - 1}
    assert again.verdict is ledger.Verdict.DUPLICATE


def test_release_lets_the_next_admit_proceed(ledger_factory: Callable[..., Any]) -> None:
    store = ledger_factory()
    key = incident()
    assert store.admit(key, now=T0).verdict is ledger.Verdict.PROCEED

    store.release(key)
    retried = store.admit(key, now=T0 + timedelta(seconds=1))

    assert retried.verdict is ledger.Verdict.PROCEED
    assert store.admit(key, now=T0 + timedelta(seconds=2)).verdict is ledger.Verdict.DUPLICATE


def test_release_never_reopens_a_completed_incident(ledger_factory: Callable[..., Any]) -> None:
    store = ledger_factory()
    key = incident()
    store.admit(key, now=T0)
    store.complete(key, {"action": "ignored"}, now=T0)

    store.release(key)

    assert store.admit(key, now=T0).verdict is ledger.Verdict.DUPLICATE


# ---- cooldown and recurrence


def test_cooldown_on_the_same_template(ledger_factory: Callable[..., Any]) -> None:
    store = ledger_factory(ledger.Settings(cooldown_seconds=1800))
    fixed = incident(container="app")
    store.admit(fixed, now=T0)
    store.record_remediation(fixed, remediation(fixed, at=T0))
    store.complete(fixed, {"action": "applied"}, now=T0)

    sidecar_soon = store.admit(incident(container="sidecar"), now=T0 + timedelta(seconds=600))
    other_category = store.admit(incident(container="sidecar", category="crash_loop"), now=T0 + timedelta(seconds=600))
    sidecar_later = store.admit(incident(container="sidecar2"), now=T0 + timedelta(seconds=1801))

    assert sidecar_soon.verdict is ledger.Verdict.COOLDOWN
    assert "cooldown" in sidecar_soon.reason
    assert sidecar_soon.last_remediation == remediation(fixed, at=T0)
    assert other_category.verdict is ledger.Verdict.PROCEED
    assert sidecar_later.verdict is ledger.Verdict.PROCEED


def test_recurrence_on_the_patched_template_marks_the_fix_ineffective(ledger_factory: Callable[..., Any]) -> None:
    store = ledger_factory(ledger.Settings(recurrence_window_seconds=86400))
    before = incident(template_hash="h1")
    store.admit(before, now=T0)
    store.record_remediation(before, remediation(before, at=T0))
    store.complete(before, {"action": "applied"}, now=T0)

    after = incident(template_hash="h2")
    admission = store.admit(after, now=T0 + timedelta(hours=2))
    stored = store.last_remediation(after)

    assert admission.verdict is ledger.Verdict.RECURRENCE
    assert admission.last_remediation is not None and admission.last_remediation.ineffective
    assert stored is not None and stored.ineffective
    assert stored.previous == {"limits": {"memory": "128Mi"}}
    assert stored.total_factor == 1.5
    assert store.admit(after, now=T0 + timedelta(hours=2)).verdict is ledger.Verdict.DUPLICATE


def test_recurrence_ends_with_its_window_and_a_new_fix_is_not_ineffective(ledger_factory: Callable[..., Any]) -> None:
    store = ledger_factory(ledger.Settings(recurrence_window_seconds=3600))
    before = incident(template_hash="h1")
    store.record_remediation(before, remediation(before, at=T0))

    late = store.admit(incident(template_hash="h2"), now=T0 + timedelta(seconds=3601))
    store.record_remediation(before, remediation(incident(template_hash="h2"), at=T0 + timedelta(seconds=3601)))
    newest = store.last_remediation(before)

    assert late.verdict is ledger.Verdict.PROCEED
    assert newest is not None and not newest.ineffective and newest.template_hash == "h2"
    assert newest.at == T0 + timedelta(seconds=3601)


# ---- circuit breaker


def test_breaker_trips_over_the_namespace_limit_and_escalates_once(ledger_factory: Callable[..., Any]) -> None:
    settings = ledger.Settings(breaker_namespace_workloads=3, breaker_cluster_namespaces=100,
                               breaker_window_seconds=300)
    store = ledger_factory(settings)

    first_three = [store.admit(incident(owner_name=f"w{i}"), now=T0 + timedelta(seconds=i)) for i in range(3)]
    fourth = store.admit(incident(owner_name="w3"), now=T0 + timedelta(seconds=10))
    fifth = store.admit(incident(owner_name="w4"), now=T0 + timedelta(seconds=20))
    other_namespace = store.admit(incident(namespace="pay", owner_name="w0"), now=T0 + timedelta(seconds=20))
    after_window = store.admit(incident(owner_name="w5"), now=T0 + timedelta(seconds=700))

    assert [a.verdict for a in first_three] == [ledger.Verdict.PROCEED] * 3
    assert fourth.verdict is ledger.Verdict.BREAKER and fourth.breaker_first
    assert "namespace shop" in fourth.reason
    assert fifth.verdict is ledger.Verdict.BREAKER and not fifth.breaker_first
    assert other_namespace.verdict is ledger.Verdict.PROCEED
    assert after_window.verdict is ledger.Verdict.PROCEED


def test_breaker_counts_distinct_failing_namespaces_across_the_cluster(ledger_factory: Callable[..., Any]) -> None:
    settings = ledger.Settings(breaker_namespace_workloads=100, breaker_cluster_namespaces=2,
                               breaker_window_seconds=300)
    store = ledger_factory(settings)

    same_workload = [store.admit(incident(namespace="a", container=f"c{i}"), now=T0) for i in range(3)]
    second = store.admit(incident(namespace="b"), now=T0)
    third = store.admit(incident(namespace="c"), now=T0)
    other_cluster = store.admit(incident(namespace="c", cluster="prod"), now=T0)

    assert [a.verdict for a in same_workload] == [ledger.Verdict.PROCEED] * 3
    assert second.verdict is ledger.Verdict.PROCEED
    assert third.verdict is ledger.Verdict.BREAKER and third.breaker_first and "cluster dev" in third.reason
    assert other_cluster.verdict is ledger.Verdict.PROCEED


def test_one_namespaces_storm_holds_that_namespace_only(ledger_factory: Callable[..., Any]) -> None:
    settings = ledger.Settings(breaker_namespace_workloads=5, breaker_cluster_namespaces=3, breaker_window_seconds=300)
    store = ledger_factory(settings)

    storm = [store.admit(incident(namespace="noisy", owner_name=f"w{i}"), now=T0) for i in range(16)]
    elsewhere = store.admit(incident(namespace="payments", owner_name="api"), now=T0)

    assert [a.verdict for a in storm[:5]] == [ledger.Verdict.PROCEED] * 5
    assert all(a.verdict is ledger.Verdict.BREAKER for a in storm[5:]) and "namespace noisy" in storm[5].reason
    assert elsewhere.verdict is ledger.Verdict.PROCEED


def test_breaker_escalates_exactly_once_under_concurrency(ledger_factory: Callable[..., Any]) -> None:
    settings = ledger.Settings(breaker_namespace_workloads=2, breaker_cluster_namespaces=100)
    store = ledger_factory(settings)
    calls = [lambda i=i: store.admit(incident(owner_name=f"w{i}"), now=T0) for i in range(10)]

    admissions = at_once(calls)

    assert sum(a.breaker_first for a in admissions) == 1
    assert sum(a.verdict is ledger.Verdict.PROCEED for a in admissions) <= 2
    assert all(a.verdict in (ledger.Verdict.PROCEED, ledger.Verdict.BREAKER) for a in admissions)


# ---- diagnosis cache and audit


def test_diagnosis_cache_round_trip_survives_a_takeover(ledger_factory: Callable[..., Any]) -> None:
    store = ledger_factory(ledger.Settings(lease_seconds=60))
    key = incident()
    answer = {"remedy": "raise_memory_limit", "confidence": 0.9, "evidence": ["OOMKilled", "exit 137"],
              "nested": {"a.b": [1, 2]}}
    assert store.cached_diagnosis(key) is None
    store.admit(key, now=T0)

    store.store_diagnosis(key, answer, now=T0)
    store.admit(key, now=T0 + timedelta(seconds=61))

    assert store.cached_diagnosis(key) == answer
    assert store.cached_diagnosis(incident(template_hash="other")) is None


def test_complete_stores_the_audit_record_with_expire_at(ledger_factory: Callable[..., Any]) -> None:
    store = ledger_factory(ledger.Settings(ttl_days=30))
    key = incident()
    record = {"incident": key.describe(), "action": "applied", "patch": {"containers": [{"name": "app"}]},
              "evidence": [["nested", "list"]]}
    store.admit(key, now=T0)

    store.complete(key, record, now=T0)
    stored = store.audit(key)

    assert stored["status"] == "done"
    assert stored["record"] == record
    assert stored["expireAt"] == T0 + timedelta(days=30)


def test_a_redelivered_message_takes_back_its_own_claim(ledger_factory: Callable[..., Any]) -> None:
    """A first attempt that claimed and then failed (its reply lost to a timeout) must not make its own
    redelivery a duplicate; another event of the same incident still is one."""
    store = ledger_factory()
    key = incident()

    first = store.admit(key, now=T0, claimant="event-uid-1")
    delivered_twice_at_once = store.admit(key, now=T0 + timedelta(seconds=1), claimant="event-uid-1")
    redelivered = store.admit(key, now=T0 + timedelta(seconds=ledger.RETAKE_AFTER_SECONDS), claimant="event-uid-1")
    another_event = store.admit(key, now=T0 + timedelta(seconds=6), claimant="event-uid-2")

    assert first.verdict is ledger.Verdict.PROCEED and redelivered.verdict is ledger.Verdict.PROCEED
    assert delivered_twice_at_once.verdict is ledger.Verdict.DUPLICATE
    assert another_event.verdict is ledger.Verdict.DUPLICATE
