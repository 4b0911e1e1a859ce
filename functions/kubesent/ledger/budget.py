"""The shared model budget: windows, limits and the grant the ledger hands back. Pure: no I/O.

Both ledgers count model calls per UTC hour and per UTC day in one counter each and share this
judgement, so their answers cannot drift: the hour is counted first and the day only when the hour
allowed the call. A call refused by the day has used an hour slot that nobody needed: the day only
reopens at midnight, which is also an hour boundary. Called by ``ledger.memory``, ``ledger.firestore``
and the pipeline (to build the audit field and the escalation reason).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

# The settings that set each window's limit, named in every reason so a person knows what to raise.
SETTING = {"hour": "KUBESENT_MODEL_CALLS_PER_HOUR", "day": "KUBESENT_MODEL_CALLS_PER_DAY"}
REASON_PREFIX = "model budget exhausted"


@dataclass(frozen=True)
class Limits:
    per_hour: int
    per_day: int


@dataclass(frozen=True)
class Window:
    """One counting window: ``hour`` or ``day``, its UTC id (``2026-12-02T03``, ``2026-12-02``) and limit."""

    name: str
    id: str
    limit: int

    @property
    def document_id(self) -> str:
        return f"{self.name}-{self.id}"


def windows(now: datetime, limits: Limits) -> tuple[Window, Window]:
    """The hour and the day ``now`` falls in (UTC), in the order they are counted."""
    moment = now.astimezone(UTC) if now.tzinfo else now.replace(tzinfo=UTC)
    return (Window("hour", moment.strftime("%Y-%m-%dT%H"), limits.per_hour),
            Window("day", moment.strftime("%Y-%m-%d"), limits.per_day))


@dataclass(frozen=True)
class Grant:
    """The ledger's answer to "may this incident call the model?"."""

    used: dict[str, int]
    """Calls counted in each window so far, this one included (past the limit when refused)."""
    limits: dict[str, int]
    exhausted: Window | None = None
    """The window that refused the call; None when it is allowed."""
    notify: bool = False
    """This refusal is the first of its window (it won the marker): send the one notification."""

    @property
    def allowed(self) -> bool:
        return self.exhausted is None

    def audit(self) -> dict[str, Any]:
        """The audit line's ``model_budget``: ``{"hour": "3/50", "day": "12/300", ...}``."""
        shown = {name: f"{min(self.used.get(name, 0), limit)}/{limit}" for name, limit in self.limits.items()}
        return {**shown, "exhausted": self.exhausted.name if self.exhausted else None, "notify": self.notify,
                "window": self.exhausted.id if self.exhausted else None}

    def reason(self) -> str:
        """Why the model was not asked, for the root cause of the escalation."""
        if self.exhausted is None:
            return ""
        window = self.exhausted
        return (f"{REASON_PREFIX}: the {window.name}'s {window.limit} model calls ({window.id} UTC) are used "
                f"({SETTING[window.name]}); no rule decides this failure, so a person does")


def judge(window: Window, used: int) -> bool:
    """True if the ``used``-th call of ``window`` (counting this one) is within its limit."""
    return used <= window.limit
