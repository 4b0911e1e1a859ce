"""The notifier: one message per incident, later states threaded, sends idempotent, outages retried."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import pytest

from kubesent import errors
from kubesent.ledger.memory import MemoryLedger
from kubesent.notify import notifier as notifier_module
from kubesent.notify import transport
from kubesent.notify.notifier import LinkMaker, Notifier
from kubesent.notify.slack import SlackBotSink
from kubesent.notify.teams import TeamsSink
from kubesent.notify.webhook import WebhookSink
from tests.fakes.fake_receiver import FakeReceiver
from tests.notify.records import INCIDENT_ID, proposal

KEY = b"a" * 32
NO_WAIT = transport.Policy(timeout_seconds=2.0, attempts=2, sleep=lambda seconds: None)


@pytest.fixture
def receiver() -> Iterator[FakeReceiver]:
    with FakeReceiver() as fake:
        yield fake


def build(receiver: FakeReceiver, ledger: MemoryLedger) -> Notifier:
    sinks = [WebhookSink(receiver.url + "/hook", signing_key=KEY, policy=NO_WAIT),
             SlackBotSink("xoxb-t", channel="C1", base_url=receiver.url + "/slack/api/", policy=NO_WAIT),
             TeamsSink(receiver.url + "/teams", policy=NO_WAIT)]
    links = LinkMaker(logging_console_url="https://logs", project="p", approval_url="https://approve.example/a",
                      approval_key=KEY)
    return Notifier(sinks, ledger=ledger, links=links, clock=lambda: 1_700_000_000.0)


def test_a_redelivered_record_sends_nothing_twice(receiver: FakeReceiver) -> None:
    notifier = build(receiver, MemoryLedger())

    first = notifier.notify(proposal())
    again = notifier.notify(proposal())

    assert set(first.values()) == {"sent"} and set(again.values()) == {"already sent"}
    assert len(receiver.received) == 3


def test_a_later_state_updates_the_first_slack_message(receiver: FakeReceiver) -> None:
    notifier = build(receiver, MemoryLedger())

    notifier.notify(proposal())
    notifier.notify(proposal(action="applied", reason="approved by ana@example.com"))

    posts = receiver.on("/slack/api/chat.postMessage")
    [update] = receiver.on("/slack/api/chat.update")
    assert update.json["ts"] == posts[0].json.get("ts", "") or update.json["ts"].startswith("1700000000.")
    assert posts[1].json["thread_ts"] == update.json["ts"]
    assert receiver.on("/hook")[1].json["follow_up"] is True


def test_an_outage_of_one_sink_does_not_block_the_others_and_is_retried(receiver: FakeReceiver) -> None:
    ledger = MemoryLedger()
    notifier = build(receiver, ledger)
    receiver.fail(503, times=2)  # the webhook (first) fails both attempts

    with pytest.raises(errors.TransientError, match="webhook"):
        notifier.notify(proposal())
    assert len(receiver.on("/slack/api/chat.postMessage")) == 1 and len(receiver.on("/teams")) == 1

    result = notifier.notify(proposal())  # Pub/Sub's redelivery

    assert result == {"webhook": "sent", "slack": "already sent", "teams": "already sent"}
    assert len(receiver.on("/slack/api/chat.postMessage")) == 1 and len(receiver.on("/teams")) == 1


def test_a_refusing_sink_is_not_retried(receiver: FakeReceiver) -> None:
    receiver.fail(404)

    result = build(receiver, MemoryLedger()).notify(proposal())

    assert result["webhook"] == "refused" and result["slack"] == "sent"


def test_a_proposal_carries_signed_links_and_ignored_is_silent(receiver: FakeReceiver) -> None:
    notifier = build(receiver, MemoryLedger())

    assert notifier.notify(proposal(action="ignored")) == {}
    notifier.notify(proposal())

    approve = receiver.on("/hook")[0].json["message"]["links"]["approve"]
    assert approve.startswith("https://approve.example/a?t=")


def test_decode_report_reads_a_pubsub_push() -> None:
    data = {"message": {"data": base64.b64encode(proposal().model_dump_json().encode()).decode()}}

    assert notifier_module.decode_report(data).incident_id == INCIDENT_ID
    with pytest.raises(errors.BadEvent):
        notifier_module.decode_report({"message": {"data": "bm90IGpzb24="}})


def test_a_rejection_is_news_though_the_action_stays_proposed(receiver: FakeReceiver) -> None:
    notifier = build(receiver, MemoryLedger())
    notifier.notify(proposal())

    result = notifier.notify(proposal(reason="rejected by bob; nothing written"))

    assert set(result.values()) == {"sent"}
    assert len(receiver.on("/slack/api/chat.update")) == 1
