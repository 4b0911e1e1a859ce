"""Each sink's payload against its service's documented format, sent to a local fake over HTTP."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest
from slack_sdk.models.blocks import Block

from kubesent.notify import Delivery, SinkRefused, SinkUnavailable, message, transport
from kubesent.notify.google_chat import GoogleChatSink
from kubesent.notify.message import Links
from kubesent.notify.pagerduty import PagerDutySink
from kubesent.notify.slack import APPROVE_ACTION, SlackBotSink, SlackWebhookSink
from kubesent.notify.teams import ADAPTIVE_CARD, TeamsSink
from kubesent.notify.webhook import WebhookSink
from tests.fakes.fake_receiver import FakeReceiver
from tests.notify.records import INCIDENT_ID, escalation, proposal

KEY = b"k" * 32
NO_WAIT = transport.Policy(timeout_seconds=2.0, attempts=3, sleep=lambda seconds: None)


@pytest.fixture
def receiver() -> Iterator[FakeReceiver]:
    with FakeReceiver() as fake:
        yield fake


def note(**kwargs: object) -> message.Message:
    links = Links(logs="https://logs.example/q", approve="https://approve.example/?t=A",
                  reject="https://approve.example/?t=R")
    return message.render(proposal(**kwargs), links=links, approve_token="A.sig", reject_token="R.sig")


def test_webhook_is_signed_and_the_signature_verifies(receiver: FakeReceiver) -> None:
    WebhookSink(receiver.url + "/hook", signing_key=KEY, policy=NO_WAIT).send(note(), first=None)

    [sent] = receiver.on("/hook")
    header = sent.headers["x-kubesent-signature"]
    assert transport.verify(KEY, sent.body, header, now=int(time.time()))
    assert not transport.verify(b"x" * 32, sent.body, header, now=int(time.time()))
    assert not transport.verify(KEY, sent.body + b" ", header, now=int(time.time()))
    assert not transport.verify(KEY, sent.body, header, now=int(time.time()) + 3600)  # too old: a replay
    assert sent.json["incident_id"] == INCIDENT_ID and sent.json["state"] == "proposed"
    assert "approve_token" not in sent.json["message"]


def test_retries_are_bounded_and_back_off_on_5xx(receiver: FakeReceiver) -> None:
    waits: list[float] = []
    policy = transport.Policy(timeout_seconds=2.0, attempts=3, sleep=waits.append)
    receiver.fail(503, times=5)

    with pytest.raises(SinkUnavailable):
        WebhookSink(receiver.url + "/hook", signing_key=KEY, policy=policy).send(note(), first=None)

    assert len(receiver.on("/hook")) == 3
    assert waits == [0.5, 1.0]


def test_a_5xx_then_success_is_delivered_once(receiver: FakeReceiver) -> None:
    receiver.fail(502)

    WebhookSink(receiver.url + "/hook", signing_key=KEY, policy=NO_WAIT).send(note(), first=None)

    assert len(receiver.on("/hook")) == 2


def test_a_4xx_is_never_retried(receiver: FakeReceiver) -> None:
    receiver.fail(400, times=3)

    with pytest.raises(SinkRefused):
        WebhookSink(receiver.url + "/hook", signing_key=KEY, policy=NO_WAIT).send(note(), first=None)

    assert len(receiver.on("/hook")) == 1


def test_a_timeout_is_retried_then_unavailable(receiver: FakeReceiver) -> None:
    receiver.delay = 0.5
    policy = transport.Policy(timeout_seconds=0.1, attempts=2, sleep=lambda seconds: None)

    with pytest.raises(SinkUnavailable):
        WebhookSink(receiver.url + "/hook", signing_key=KEY, policy=policy).send(note(), first=None)

    assert len(receiver.on("/hook")) == 2


def _valid_blocks(blocks: list[dict[str, object]]) -> None:
    for raw in blocks:
        parsed = Block.parse(raw)  # slack_sdk's own model of each block type
        assert parsed is not None and parsed.to_dict() == raw  # to_dict validates Block Kit's limits


def test_slack_webhook_sends_valid_block_kit_with_link_buttons(receiver: FakeReceiver) -> None:
    SlackWebhookSink(receiver.url + "/slack/webhook/T/B/X", policy=NO_WAIT).send(note(), first=None)

    [sent] = receiver.on("/slack/webhook/T/B/X")
    _valid_blocks(sent.json["blocks"])
    buttons = sent.json["blocks"][-1]["elements"]
    assert [b["url"] for b in buttons] == ["https://approve.example/?t=A", "https://approve.example/?t=R"]
    assert sent.json["text"] == "Fix proposed: Deployment shop/api"


def test_slack_bot_posts_then_updates_and_threads_the_first_message(receiver: FakeReceiver) -> None:
    sink = SlackBotSink("xoxb-test", channel="C1", base_url=receiver.url + "/slack/api/", policy=NO_WAIT)

    first = sink.send(note(), first=None)
    later = sink.send(message.render(proposal(action="applied", reason="approved by ana"), links=Links(logs="l")),
                      first=first)

    posted, update, reply = receiver.received
    assert posted.route == "/slack/api/chat.postMessage" and posted.headers["authorization"] == "Bearer xoxb-test"
    _valid_blocks(posted.json["blocks"])
    approve = posted.json["blocks"][-1]["elements"][0]
    assert approve["action_id"] == APPROVE_ACTION and approve["value"] == "A.sig" and "confirm" in approve
    assert first.ref and later == first
    assert update.route == "/slack/api/chat.update" and update.json["ts"] == first.ref
    assert reply.route == "/slack/api/chat.postMessage" and reply.json["thread_ts"] == first.ref


def test_google_chat_card_v2_threads_by_incident(receiver: FakeReceiver) -> None:
    GoogleChatSink(receiver.url + "/chat?key=K&token=T", policy=NO_WAIT).send(note(), first=None)

    [sent] = receiver.on("/chat")
    assert sent.query["threadKey"] == INCIDENT_ID and sent.query["key"] == "K"
    assert sent.query["messageReplyOption"] == "REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD"
    [card] = sent.json["cardsV2"]
    assert set(card) == {"cardId", "card"} and card["card"]["header"]["title"].startswith("Fix proposed")
    widgets = [w for section in card["card"]["sections"] for w in section["widgets"]]
    for widget in widgets:
        assert len(widget) == 1 and next(iter(widget)) in {"decoratedText", "textParagraph", "buttonList"}
    [buttons] = [w["buttonList"]["buttons"] for w in widgets if "buttonList" in w]
    assert [b["text"] for b in buttons] == ["Approve", "Reject", "Logs"]
    assert buttons[0]["onClick"]["openLink"]["url"] == "https://approve.example/?t=A"


def test_teams_workflows_message_carries_one_adaptive_card(receiver: FakeReceiver) -> None:
    TeamsSink(receiver.url + "/teams", policy=NO_WAIT).send(note(), first=None)

    [sent] = receiver.on("/teams")
    assert sent.json["type"] == "message"
    [attachment] = sent.json["attachments"]
    assert attachment["contentType"] == ADAPTIVE_CARD
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.4" and "$schema" in card
    assert {block["type"] for block in card["body"]} <= {"TextBlock", "FactSet"}
    assert [a["title"] for a in card["actions"]] == ["Approve", "Reject", "Logs"]
    assert all(a["type"] == "Action.OpenUrl" and a["url"] for a in card["actions"])


def test_pagerduty_triggers_on_escalation_and_resolves_when_healed(receiver: FakeReceiver) -> None:
    sink = PagerDutySink(receiver.url + "/pagerduty/v2/enqueue", routing_key="R" * 32, policy=NO_WAIT)
    escalated = message.render(escalation(), links=Links(logs="https://logs"))
    healed = message.render(proposal(action="applied"), links=Links(logs="https://logs"))

    assert not sink.wants(note())  # a proposal waits in chat; it does not page
    sink.send(escalated, first=None)
    sink.send(healed, first=Delivery())

    trigger, resolve = (item.json for item in receiver.received)
    assert trigger["event_action"] == "trigger" and trigger["dedup_key"] == INCIDENT_ID
    assert trigger["routing_key"] == "R" * 32
    assert set(trigger["payload"]) >= {"summary", "source", "severity"}
    assert trigger["payload"]["severity"] in {"critical", "error", "warning", "info"}
    assert len(trigger["payload"]["summary"]) <= 1024
    assert resolve == {"routing_key": "R" * 32, "event_action": "resolve", "dedup_key": INCIDENT_ID}


def test_pagerduty_resolves_nothing_it_never_paged(receiver: FakeReceiver) -> None:
    sink = PagerDutySink(receiver.url + "/pagerduty/v2/enqueue", routing_key="R" * 32, policy=NO_WAIT)

    sink.send(message.render(proposal(action="applied"), links=Links(logs="l")), first=None)

    assert receiver.received == []


def test_no_sink_payload_leaks_a_redacted_secret(receiver: FakeReceiver) -> None:
    WebhookSink(receiver.url + "/hook", signing_key=KEY, policy=NO_WAIT).send(note(), first=None)
    TeamsSink(receiver.url + "/teams", policy=NO_WAIT).send(note(), first=None)

    assert all(b"hunter2" not in item.body for item in receiver.received)
    assert json.loads(receiver.received[0].body)["message"]["evidence"]
