"""A snooze is honoured: while it lasts a recurrence taken in again is recorded as snoozed, never re-proposed or
written; it never hides an escalation; it ends on its own; and it leaves the proposal approvable."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from kubesent.ledger import Admission, Verdict, snooze
from kubesent.ledger.memory import MemoryLedger
from tests.approval.support import NOW, memory_limit, token


def test_a_recurrence_while_snoozed_is_recorded_as_snoozed_and_nothing_else(
        scenario: Any, make_pipeline: Any, sandbox: Any, now: datetime) -> None:
    event, _ = scenario("oom-memory-hog")
    first = make_pipeline(ledger=MemoryLedger(), auto_apply_remedies="fix_probe").handle(event, now=now)
    # The incident is taken in again (its claim expired with the ledger's TTL): a ledger with only the snooze.
    again = MemoryLedger()
    snooze.snooze(again, first.incident_id, by="bob", now=now)
    pipeline = make_pipeline(ledger=again, dry_run=False)
    reads_before = len(sandbox.requests)

    record = pipeline.handle(event, now=now + timedelta(minutes=5))

    assert first.action == "proposed"
    assert record.action == "ignored" and record.reason.startswith("snoozed by bob until "), record.reason
    assert record.incident_id == first.incident_id and record.patch is None
    assert sandbox.writes() == [] and memory_limit(sandbox) == "10Mi"
    assert record.diagnosed_by in (None, "")  # not diagnosed again: no model call
    read_after = [r["path"] for r in sandbox.requests[reads_before:]]
    assert not [path for path in read_after if path.endswith("/log") or "/events" in path], read_after
    # Released, not completed: the ledger keeps no snoozed record over the proposal, and judges the next one.
    assert again.stored_record(first.incident_id) is None


def test_an_expired_snooze_changes_nothing(scenario: Any, make_pipeline: Any, now: datetime) -> None:
    event, _ = scenario("oom-memory-hog")
    first = make_pipeline(ledger=MemoryLedger(), auto_apply_remedies="fix_probe").handle(event, now=now)
    again = MemoryLedger()
    snooze.snooze(again, first.incident_id, by="bob", now=now - timedelta(hours=5))

    record = make_pipeline(ledger=again, auto_apply_remedies="fix_probe").handle(event, now=now)

    assert record.action == "proposed" and record.patch == first.patch


def test_a_snooze_never_hides_an_escalation_a_person_must_see() -> None:
    memory = MemoryLedger()
    at = datetime.fromtimestamp(NOW, UTC)
    snooze.snooze(memory, "incident-1", by="bob", now=at)

    held = snooze.holding(memory, "incident-1", Admission(Verdict.PROCEED, ""), now=at)
    recurrence = snooze.holding(memory, "incident-1", Admission(Verdict.RECURRENCE, "fix failed"), now=at)
    breaker = snooze.holding(memory, "incident-1", Admission(Verdict.BREAKER, "", breaker_first=True), now=at)
    later = snooze.holding(memory, "incident-1", Admission(Verdict.PROCEED, ""),
                           now=at + timedelta(seconds=snooze.SNOOZE_SECONDS + 1))

    assert held is not None and held.by == "bob"
    assert recurrence is None and breaker is None and later is None


def test_a_snoozed_proposal_can_still_be_approved_later(proposed: dict[str, Any], sandbox: Any) -> None:
    incident_id = proposed["record"].incident_id

    snoozed = proposed["approver"].decide(token(incident_id, "snooze"), approver="bob")
    approved = proposed["approver"].decide(token(incident_id), approver="ana")

    assert snoozed.status == 200 and snoozed.title == "Snoozed"
    assert approved.status == 200 and approved.title == "Applied", approved.detail
    assert memory_limit(sandbox) == "110Mi"
