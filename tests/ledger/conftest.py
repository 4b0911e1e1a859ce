"""Fixtures for the ledger tests: one Firestore emulator per session, emptied before each test.

``ledger_factory`` is parametrised over both implementations, so every contract test runs against
``MemoryLedger`` and against ``FirestoreLedger`` on the emulator. The Firestore client is built by
the ledger itself (lazily), with FIRESTORE_EMULATOR_HOST set and no Application Default
Credentials reachable, as on a developer machine without gcloud auth.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from kubesent import ledger
from kubesent.ledger.firestore import FirestoreLedger
from kubesent.ledger.memory import MemoryLedger
from local_emulator import gcloud_emulators

# The emulator answers in milliseconds once warm, but a cold JVM on a busy runner can take
# seconds for its first calls; this only stops a broken test from hanging.
TEST_TIMEOUT_SECONDS = 10.0

LedgerFactory = Callable[..., Any]


@pytest.fixture(params=["memory", "firestore"])
def ledger_factory(request: pytest.FixtureRequest) -> Iterator[LedgerFactory]:
    """``make(settings=None)`` -> a fresh ledger of the parametrised kind; Firestore ones are closed after."""
    made: list[FirestoreLedger] = []

    def make(settings: ledger.Settings | None = None) -> Any:
        settings = settings or ledger.Settings()
        if request.param == "memory":
            return MemoryLedger(settings)
        emulator: gcloud_emulators.Emulator = request.getfixturevalue("firestore_env")
        firestore_ledger = FirestoreLedger(settings, project=emulator.project, timeout_seconds=TEST_TIMEOUT_SECONDS)
        made.append(firestore_ledger)
        return firestore_ledger

    if request.param == "firestore":
        request.getfixturevalue("firestore_env")  # clear before the test, whatever it makes
    yield make
    for firestore_ledger in made:
        firestore_ledger.close()

