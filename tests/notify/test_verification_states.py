"""The verifier's outcomes reach people as the incident's later states (issue 16)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kubesent.audit import AuditRecord
from kubesent.ledger.memory import MemoryLedger
from kubesent.notify import message, transport
from kubesent.notify.message import Links
from kubesent.notify.notifier import LinkMaker, Notifier
from kubesent.notify.pagerduty import PagerDutySink
from kubesent.notify.webhook import WebhookSink
from tests.fakes.fake_receiver import FakeReceiver
from tests.notify.records import INCIDENT_ID, proposal

KEY = b"k" * 32
NO_WAIT = transport.Policy(timeout_seconds=2.0, attempts=1, sleep=lambda seconds: None)


def checked(outcome: str, undo: str = "") -> AuditRecord:
    action = "applied" if outcome == "verified" else "escalated"
    # As verify.Verifier words it: the outcome, its detail, and what the undo did.
    return proposal(action=action, reason=f"{outcome}: detail" + (f"; {undo}" if undo else ""), verification={
        "outcome": outcome, "detail": "1 new pod(s) Ready without a restart for 300 s", "undo": undo,
        "checked_at": "2026-12-02T05:00:00+00:00"})


@pytest.fixture
def receiver() -> Iterator[FakeReceiver]:
    with FakeReceiver() as fake:
        yield fake


@pytest.mark.parametrize(("outcome", "title"), [
    ("verified", "Fix verified"), ("not_healed", "Fix did not heal, needs a person"),
    ("worse", "Fix made things worse"), ("stalled", "Fix's rollout stalled")])
def test_each_outcome_is_its_own_state_and_title(outcome: str, title: str) -> None:
    note = message.render(checked(outcome), links=Links(logs="https://logs"))

    assert note.state == outcome and note.title.startswith(title)


def test_a_verified_fix_follows_the_applied_message_and_resolves_the_page(receiver: FakeReceiver) -> None:
    sinks = [WebhookSink(receiver.url + "/hook", signing_key=KEY, policy=NO_WAIT),
             PagerDutySink(receiver.url + "/pd", routing_key="R" * 32, policy=NO_WAIT)]
    notifier = Notifier(sinks, ledger=MemoryLedger(), links=LinkMaker(logging_console_url="https://logs", project="p"),
                        clock=lambda: 1_700_000_000.0)

    notifier.notify(proposal(action="escalated", reason="a person", patch=None, remedy="escalate"))
    notifier.notify(checked("worse", undo="undone: memory limit of api restored to 64Mi (was 128Mi)"))
    notifier.notify(checked("verified"))

    hooks = [post.json for post in receiver.on("/hook")]
    assert [hook["state"] for hook in hooks] == ["escalated", "worse", "verified"]
    assert all(hook["incident_id"] == INCIDENT_ID for hook in hooks) and hooks[1]["follow_up"] is True
    assert "undone: memory limit of api restored to 64Mi" in hooks[1]["text"]
    actions = [post.json["event_action"] for post in receiver.on("/pd")]
    assert actions == ["trigger", "trigger", "resolve"]
