"""FirestoreLedger beyond the shared contract: faults, many instances, TTL fields, lazy imports."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from kubesent import errors, ledger
from kubesent.ledger import budget
from kubesent.ledger.firestore import FirestoreLedger
from local_emulator import gcloud_emulators

T0 = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
# "Quickly": the ledger's own timeout, plus slack for a loaded machine; the SDK default would be minutes.
UNAVAILABLE_TIMEOUT_SECONDS = 1.0
UNAVAILABLE_BUDGET_SECONDS = 8.0
# Separate clients stand in for separate function instances.
INSTANCES = 8


def incident(*, owner_name: str = "api", template_hash: str = "h1") -> ledger.IncidentKey:
    return ledger.IncidentKey(cluster="dev", namespace="shop", owner_kind="Deployment", owner_name=owner_name,
                              container="app", category="oom_killed", template_hash=template_hash)


def test_every_method_raises_ledger_unavailable_quickly_when_nothing_listens(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FIRESTORE_EMULATOR_HOST", f"127.0.0.1:{gcloud_emulators.free_port()}")
    store = FirestoreLedger(ledger.Settings(), project="p", timeout_seconds=UNAVAILABLE_TIMEOUT_SECONDS)
    key = incident()
    calls: list[Callable[[], object]] = [lambda: store.admit(key, now=T0), lambda: store.cached_diagnosis(key),
             lambda: store.store_diagnosis(key, {}, now=T0), lambda: store.last_remediation(key),
             lambda: store.complete(key, {}, now=T0), lambda: store.release(key),
             lambda: store.count_duplicates(key, 1, now=T0),
             lambda: store.take_model_call(now=T0, limits=budget.Limits(per_hour=1, per_day=1))]
    try:
        for call in calls:
            started = time.monotonic()
            with pytest.raises(errors.LedgerUnavailable) as raised:
                call()
            assert time.monotonic() - started < UNAVAILABLE_BUDGET_SECONDS
            assert raised.value.__cause__ is not None
    finally:
        store.close()


# A fresh emulator's JVM answers its first calls slowly, the more so on a busy 2-core machine: the warm-up
# retries within this bound (it is not what the test measures).
WARM_UP_DEADLINE_SECONDS = 90.0


def _warm_up(emulator: gcloud_emulators.Emulator) -> None:
    deadline = time.monotonic() + WARM_UP_DEADLINE_SECONDS
    while True:
        warm_up = FirestoreLedger(ledger.Settings(), project=emulator.project)
        try:
            warm_up.cached_diagnosis(incident())  # a read, then a write: each path's first call is slow
            warm_up.admit(incident(owner_name="warm-up"), now=T0)
            return
        except errors.LedgerUnavailable:
            if time.monotonic() > deadline:
                raise
        finally:
            warm_up.close()


def test_ledger_unavailable_when_the_emulator_stops_mid_use(monkeypatch: pytest.MonkeyPatch) -> None:
    emulator = gcloud_emulators.start_firestore(project="kubesent-stop-test")
    try:
        monkeypatch.setenv("FIRESTORE_EMULATOR_HOST", emulator.host_port)
        _warm_up(emulator)
        store = FirestoreLedger(ledger.Settings(), project=emulator.project,
                                timeout_seconds=UNAVAILABLE_TIMEOUT_SECONDS)
        assert store.admit(incident(), now=T0).verdict is ledger.Verdict.PROCEED
    finally:
        emulator.stop()
    try:
        started = time.monotonic()
        with pytest.raises(errors.LedgerUnavailable):
            store.admit(incident(owner_name="other"), now=T0)
        assert time.monotonic() - started < UNAVAILABLE_BUDGET_SECONDS
    finally:
        store.close()
    with pytest.raises(ProcessLookupError):  # gcloud and its Java child are both gone
        os.killpg(emulator.process.pid, 0)


def test_concurrent_admits_from_separate_instances_have_one_winner(
        firestore_env: gcloud_emulators.Emulator) -> None:
    stores = [FirestoreLedger(ledger.Settings(), project=firestore_env.project) for _ in range(INSTANCES)]
    barrier = threading.Barrier(INSTANCES)
    verdicts: list[ledger.Verdict] = []

    def admit(store: FirestoreLedger) -> None:
        barrier.wait()
        verdicts.append(store.admit(incident(), now=T0).verdict)

    threads = [threading.Thread(target=admit, args=(store,)) for store in stores]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        for store in stores:
            store.close()

    assert Counter(verdicts) == {ledger.Verdict.PROCEED: 1, ledger.Verdict.DUPLICATE: INSTANCES - 1}


def test_every_document_carries_expire_at(firestore_env: gcloud_emulators.Emulator) -> None:
    settings = ledger.Settings(breaker_namespace_workloads=0, ttl_days=7)
    store = FirestoreLedger(settings, project=firestore_env.project, collection="ttl")
    key = incident()
    try:
        store.admit(key, now=T0)  # a limit of 0 trips the breaker, so its marker is written too
        store.store_diagnosis(key, {"remedy": "none"}, now=T0)
        store.record_remediation(key, ledger.Remediation(
            incident_id=key.id, category=key.category, remedy="r", action="dry_run", at=T0,
            template_hash="h1", previous={}, patch={}))
        store.complete(key, {"action": "dry_run"}, now=T0)
        client = store._firestore()  # the test reads the raw documents the ledger wrote
        documents = [doc for name in ("ttl", "ttl-workloads", "ttl-breaker")
                     for doc in client.collection(name).stream()]
    finally:
        store.close()

    assert len(documents) == 1 + 1 + 2 + 1  # claim, workload, two failing buckets, one trip marker
    assert all(doc.get("expireAt") >= T0 + timedelta(days=7) for doc in documents)


def test_importing_the_ledger_does_not_import_firestore() -> None:
    root = Path(__file__).resolve().parents[2]
    code = ("import sys, kubesent.ledger, kubesent.ledger.memory, kubesent.ledger.firestore\n"
            "loaded = [m for m in sys.modules if m.startswith(('google.cloud.firestore', 'grpc'))]\n"
            "assert not loaded, loaded\n")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=root,
                   env={**os.environ, "PYTHONPATH": str(root / "functions")})
