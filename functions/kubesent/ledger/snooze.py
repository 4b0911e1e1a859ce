"""Snoozes: a person's "not now" for one incident, kept as the ledger marker ``snooze/<incident id>``.

Written by ``approval`` when a person snoozes a proposal; read by the pipeline before it judges an
incident again. What a snooze means (the semantics an on-call engineer expects from "snooze 4 h"):

* While it lasts, a recurrence of that incident that the pipeline takes in again (not a duplicate of a
  claim still held or done: its claim expired with the ledger's TTL or was released) is acknowledged and
  its audit line says ``ignored`` with the reason ``snoozed by WHO until WHEN`` (logged and reported:
  nothing is lost). It is not diagnosed again (no model call), nothing is written, no new proposal goes
  out, so no one is notified again; the claim is released, so the ledger keeps the proposal as its
  record. Duplicates stay duplicates (the hot path never reads this marker) and are not notified either.
* A snooze is not a rejection: the proposal stays approvable with its original link (``approval``
  releases its single-use marker after a snooze), and every check runs again at that click.
* It covers that incident only (the same workload, container, failure and pod template). A new rollout or
  another failure is a new incident and is judged as usual. It never hides an escalation a person must
  see: a fix that did not work, or the circuit breaker's first escalation.
* It ends on its own at ``until``: the next recurrence taken in is judged as usual.

Pure over the ``Ledger`` protocol: never reaches the cluster.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from kubesent.ledger import Admission, Ledger, Verdict

# How long a snooze lasts: half an on-call shift, long enough to look, short enough not to forget.
SNOOZE_SECONDS = 4 * 3600
# The one place the marker's name is spelled.
PREFIX = "snooze/"


@dataclass(frozen=True)
class Snooze:
    by: str
    until: float
    """Unix seconds."""

    def reason(self) -> str:
        until = datetime.fromtimestamp(self.until, UTC).isoformat(timespec="seconds")
        return f"snoozed by {self.by} until {until}: not diagnosed, proposed or written again until then"


def snooze(ledger: Ledger, incident_id: str, *, by: str, now: datetime,
           seconds: int = SNOOZE_SECONDS) -> Snooze:
    """Record a snooze from ``now``; a later snooze replaces an earlier one."""
    found = Snooze(by=by, until=now.timestamp() + seconds)
    ledger.write_marker(PREFIX + incident_id, {"until": found.until, "by": by}, now=now, create_only=False)
    return found


def active(ledger: Ledger, incident_id: str, *, now: datetime) -> Snooze | None:
    """The snooze on this incident at ``now``, or None (none, expired, or unreadable)."""
    marker = ledger.read_marker(PREFIX + incident_id)
    if not marker:
        return None
    try:
        until = float(marker.get("until", 0))
    except (TypeError, ValueError):
        return None
    return Snooze(by=str(marker.get("by") or "someone"), until=until) if until > now.timestamp() else None


def holding(ledger: Ledger, incident_id: str, admission: Admission, *, now: datetime) -> Snooze | None:
    """The snooze that holds this admitted incident back, or None. A duplicate is answered before (no read
    here), and a cooldown, a recurrence after a fix and the breaker's first escalation go on as usual."""
    if admission.verdict is Verdict.DUPLICATE or admission.verdict in (Verdict.COOLDOWN, Verdict.RECURRENCE):
        return None
    if admission.verdict is Verdict.BREAKER and admission.breaker_first:
        return None
    return active(ledger, incident_id, now=now)
