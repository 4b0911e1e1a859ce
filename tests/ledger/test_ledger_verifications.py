"""The verification queue (``verify``) on both ledgers: due order, one lease per check, reschedule, finish."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from tests.ledger.conftest import LedgerFactory

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
LATER = NOW + timedelta(minutes=1)


def test_only_due_checks_are_listed_oldest_first(ledger_factory: LedgerFactory) -> None:
    store = ledger_factory()
    store.schedule_verification("b", {"n": 2}, due_at=NOW - timedelta(seconds=10), now=NOW)
    store.schedule_verification("a", {"n": 1}, due_at=NOW - timedelta(seconds=30), now=NOW)
    store.schedule_verification("c", {"n": 3}, due_at=NOW + timedelta(seconds=30), now=NOW)

    assert store.due_verifications(now=NOW, limit=10) == ["a", "b"]
    assert store.due_verifications(now=NOW, limit=1) == ["a"]
    assert store.due_verifications(now=LATER, limit=10) == ["a", "b", "c"]


def test_a_lease_hides_the_check_until_it_expires(ledger_factory: LedgerFactory) -> None:
    store = ledger_factory()
    store.schedule_verification("x", {"incident": "x", "checks": 0}, due_at=NOW, now=NOW)

    assert store.lease_verification("x", now=NOW, until=NOW + timedelta(minutes=2)) == {"incident": "x", "checks": 0}
    assert store.lease_verification("x", now=LATER, until=LATER + timedelta(minutes=2)) is None
    assert store.due_verifications(now=LATER, limit=10) == []
    # A verifier that died holding it: the check comes back when the lease ends.
    assert store.due_verifications(now=NOW + timedelta(minutes=2), limit=10) == ["x"]


def test_concurrent_verifiers_lease_a_check_once(ledger_factory: LedgerFactory) -> None:
    store = ledger_factory()
    store.schedule_verification("x", {"incident": "x"}, due_at=NOW, now=NOW)
    won: list[object] = []
    barrier = threading.Barrier(6)

    def take() -> None:
        barrier.wait()
        found = store.lease_verification("x", now=NOW, until=NOW + timedelta(minutes=2))
        if found is not None:
            won.append(found)

    threads = [threading.Thread(target=take) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert won == [{"incident": "x"}]


def test_reschedule_keeps_what_the_check_learnt_and_finish_drops_it(ledger_factory: LedgerFactory) -> None:
    store = ledger_factory()
    store.schedule_verification("x", {"checks": 0}, due_at=NOW, now=NOW)
    store.lease_verification("x", now=NOW, until=NOW + timedelta(minutes=2))

    store.reschedule_verification("x", {"checks": 1, "healthy_since": NOW.isoformat()}, due_at=LATER)

    assert store.lease_verification("x", now=LATER, until=LATER + timedelta(minutes=2)) == {
        "checks": 1, "healthy_since": NOW.isoformat()}
    store.finish_verification("x")
    assert store.due_verifications(now=LATER + timedelta(hours=1), limit=10) == []
    assert store.lease_verification("x", now=LATER + timedelta(hours=1), until=LATER) is None
    store.finish_verification("x")  # twice is harmless
    store.reschedule_verification("x", {"checks": 2}, due_at=LATER)  # a finished check stays finished
    assert store.due_verifications(now=LATER + timedelta(hours=1), limit=10) == []
