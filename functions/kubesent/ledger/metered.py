"""``MeteredLedger``: any ledger, with its calls counted per thread for the audit line and the benchmarks.

Each protocol call counts once, whatever the backend does inside it (Firestore's ``admit`` is two to
five RPCs): the figure says how often an event needed the shared state at all. Per thread, because
functions-framework serves events on several threads and each audit line counts its own event's calls.
Anything outside the protocol (``audit``, ``close``) passes through uncounted. Built by the pipeline.
"""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any

from kubesent import ledger
from kubesent.ledger import budget


class MeteredLedger:
    """Wraps a ``ledger.Ledger``; ``calls`` is the current thread's count of protocol calls."""

    def __init__(self, inner: ledger.Ledger) -> None:
        self.inner = inner
        self._counter = threading.local()

    @property
    def calls(self) -> int:
        return int(getattr(self._counter, "calls", 0))

    def _count(self) -> None:
        self._counter.calls = self.calls + 1

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def admit(self, key: ledger.IncidentKey, *, now: datetime, claimant: str = "") -> ledger.Admission:
        self._count()
        return self.inner.admit(key, now=now, claimant=claimant)

    def cached_diagnosis(self, key: ledger.IncidentKey) -> dict[str, Any] | None:
        self._count()
        return self.inner.cached_diagnosis(key)

    def store_diagnosis(self, key: ledger.IncidentKey, answer: dict[str, Any], *, now: datetime) -> None:
        self._count()
        self.inner.store_diagnosis(key, answer, now=now)

    def record_remediation(self, key: ledger.IncidentKey, remediation: ledger.Remediation) -> None:
        self._count()
        self.inner.record_remediation(key, remediation)

    def last_remediation(self, key: ledger.IncidentKey) -> ledger.Remediation | None:
        self._count()
        return self.inner.last_remediation(key)

    def complete(self, key: ledger.IncidentKey, record: dict[str, Any], *, now: datetime) -> None:
        self._count()
        self.inner.complete(key, record, now=now)

    def release(self, key: ledger.IncidentKey) -> None:
        self._count()
        self.inner.release(key)

    def history(self, key: ledger.IncidentKey) -> dict[str, ledger.ContainerHistory]:
        self._count()
        return self.inner.history(key)

    def count_duplicates(self, key: ledger.IncidentKey, count: int, *, now: datetime) -> None:
        self._count()
        self.inner.count_duplicates(key, count, now=now)

    def take_model_call(self, *, now: datetime, limits: budget.Limits) -> budget.Grant:
        self._count()
        return self.inner.take_model_call(now=now, limits=limits)
