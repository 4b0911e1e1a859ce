"""The shared model budget and the duplicates counter, run against MemoryLedger and FirestoreLedger."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from kubesent import ledger
from kubesent.ledger import budget
from kubesent.ledger.firestore import FirestoreLedger
from local_emulator import gcloud_emulators
from tests.ledger.test_ledger_contract import T0, THREADS, at_once, incident

LIMITS = budget.Limits(per_hour=3, per_day=5)
# Separate instances, as Cloud Run scales the function out (each with its own Firestore client).
INSTANCES = 20


def test_the_hour_allows_exactly_its_limit_then_refuses_naming_the_window(ledger_factory: Callable[..., Any]) -> None:
    store = ledger_factory()

    grants = [store.take_model_call(now=T0 + timedelta(minutes=i), limits=LIMITS) for i in range(5)]

    assert [g.allowed for g in grants] == [True, True, True, False, False]
    assert grants[2].audit()["hour"] == "3/3" and grants[2].audit()["day"] == "3/5"
    refused = grants[3]
    assert refused.exhausted is not None and refused.exhausted.name == "hour"
    assert refused.reason().startswith("model budget exhausted") and "KUBESENT_MODEL_CALLS_PER_HOUR" in refused.reason()
    assert refused.audit()["day"] == "3/5", "a call the hour refused is not counted against the day"


def test_one_notification_per_exhausted_window(ledger_factory: Callable[..., Any]) -> None:
    store = ledger_factory()

    grants = [store.take_model_call(now=T0, limits=LIMITS) for _ in range(7)]

    assert [g.notify for g in grants] == [False, False, False, True, False, False, False]


def test_the_hour_resets_and_the_day_holds_across_hours(ledger_factory: Callable[..., Any]) -> None:
    store = ledger_factory()
    for _ in range(4):
        store.take_model_call(now=T0, limits=LIMITS)  # 3 allowed, the 4th refused by the hour

    next_hour = [store.take_model_call(now=T0 + timedelta(hours=1), limits=LIMITS) for _ in range(3)]

    assert [g.allowed for g in next_hour] == [True, True, False]
    assert next_hour[2].exhausted is not None and next_hour[2].exhausted.name == "day"
    assert next_hour[2].notify, "the day's own first refusal is notified, apart from the hour's"
    assert "KUBESENT_MODEL_CALLS_PER_DAY" in next_hour[2].reason()
    tomorrow = store.take_model_call(now=T0 + timedelta(days=1), limits=LIMITS)
    assert tomorrow.allowed and tomorrow.audit()["day"] == "1/5"


def test_concurrent_calls_share_the_budget_exactly(ledger_factory: Callable[..., Any]) -> None:
    store = ledger_factory()
    limits = budget.Limits(per_hour=7, per_day=100)

    grants = at_once([lambda: store.take_model_call(now=T0, limits=limits)] * THREADS)

    assert Counter(g.allowed for g in grants) == {True: 7, False: THREADS - 7}
    assert sum(g.notify for g in grants) == 1


def test_duplicates_are_added_to_the_incident(ledger_factory: Callable[..., Any]) -> None:
    store = ledger_factory()
    key = incident()
    store.admit(key, now=T0)
    store.complete(key, {"action": "dry_run"}, now=T0)

    store.count_duplicates(key, 40, now=T0)
    store.count_duplicates(key, 2, now=T0 + timedelta(seconds=30))

    assert store.audit(key)["duplicates"] == 42
    assert store.audit(key)["status"] == "done", "counting never reopens or changes the incident"
    assert store.admit(key, now=T0 + timedelta(minutes=1)).verdict is ledger.Verdict.DUPLICATE


def test_a_completed_incident_is_a_settled_duplicate_and_a_live_claim_is_not(
        ledger_factory: Callable[..., Any]) -> None:
    store = ledger_factory()
    key = incident()
    store.admit(key, now=T0)

    live = store.admit(key, now=T0)
    store.complete(key, {"action": "dry_run"}, now=T0)
    done = store.admit(key, now=T0)

    assert live.verdict is done.verdict is ledger.Verdict.DUPLICATE
    assert not live.settled and done.settled


@pytest.mark.emulator
def test_twenty_instances_share_one_budget_exactly(firestore_env: gcloud_emulators.Emulator) -> None:
    stores = [FirestoreLedger(ledger.Settings(), project=firestore_env.project) for _ in range(INSTANCES)]
    limits = budget.Limits(per_hour=5, per_day=100)
    barrier = threading.Barrier(INSTANCES)
    grants: list[budget.Grant] = []
    lock = threading.Lock()

    def ask(store: FirestoreLedger) -> None:
        barrier.wait()
        for _ in range(2):
            grant = store.take_model_call(now=T0, limits=limits)
            with lock:
                grants.append(grant)

    threads = [threading.Thread(target=ask, args=(store,)) for store in stores]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        for store in stores:
            store.close()

    assert len(grants) == 2 * INSTANCES
    assert sum(g.allowed for g in grants) == 5
    assert sum(g.notify for g in grants) == 1


@pytest.mark.emulator
def test_budget_documents_carry_expire_at(firestore_env: gcloud_emulators.Emulator) -> None:
    store = FirestoreLedger(ledger.Settings(ttl_days=7), project=firestore_env.project, collection="ttl")
    try:
        for _ in range(2):
            store.take_model_call(now=T0, limits=budget.Limits(per_hour=1, per_day=5))
        documents = list(store._firestore().collection("ttl-budget").stream())  # the raw documents
    finally:
        store.close()

    assert len(documents) == 3  # the hour, the day, the hour's exhaustion marker
    assert all(doc.get("expireAt") >= T0 + timedelta(days=7) for doc in documents)
