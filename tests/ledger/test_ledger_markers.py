"""The markers and stored-record reads the notifier and the approval endpoint use, on both ledgers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from kubesent import ledger
from tests.ledger.conftest import LedgerFactory

NOW = datetime(2026, 1, 1, tzinfo=UTC)
KEY = ledger.IncidentKey("c", "shop", "Deployment", "api", "api", "oom_killed", "h1")


def test_a_create_only_marker_is_won_once(ledger_factory: LedgerFactory) -> None:
    store = ledger_factory()

    first = store.write_marker("approval/x", {"by": "ana"}, now=NOW, create_only=True)
    second = store.write_marker("approval/x", {"by": "bob"}, now=NOW, create_only=True)

    assert (first, second) == (True, False)
    assert store.read_marker("approval/x") == {"by": "ana"}
    assert store.read_marker("approval/y") is None


def test_an_overwrite_replaces_the_marker(ledger_factory: LedgerFactory) -> None:
    store = ledger_factory()
    store.write_marker("notify/slack/x", {"ref": "1"}, now=NOW, create_only=True)

    assert store.write_marker("notify/slack/x", {"ref": "2"}, now=NOW, create_only=False)
    assert store.read_marker("notify/slack/x") == {"ref": "2"}


def test_the_stored_record_is_found_by_incident_id(ledger_factory: LedgerFactory) -> None:
    store = ledger_factory()
    store.admit(KEY, now=NOW)
    store.complete(KEY, {"action": "proposed", "incident_id": KEY.id}, now=NOW)

    assert store.stored_record(KEY.id) == {"action": "proposed", "incident_id": KEY.id}
    assert store.stored_record("0" * 40) is None


def test_breaker_open_reads_without_counting(ledger_factory: LedgerFactory) -> None:
    store = ledger_factory(ledger.Settings(breaker_namespace_workloads=1))
    assert not store.breaker_open(KEY, now=NOW)

    for name in ("a", "b"):
        store.admit(ledger.IncidentKey("c", "shop", "Deployment", name, "x", "oom_killed", "h"), now=NOW)

    assert store.breaker_open(KEY, now=NOW)
    assert not store.breaker_open(KEY, now=NOW + timedelta(hours=1))
