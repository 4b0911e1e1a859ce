"""A Slack click through the real click topic: google-cloud-pubsub against its emulator, the real entry
points through functions-framework, and a local HTTP server as the click's response_url."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from functions_framework import create_app
from google.cloud import pubsub_v1

from kubesent import approval_slack
from kubesent.reporting import TopicPublisher
from tests.approval.support import RESPONSE_PATH, SLACK_SECRET, click_body, memory_limit, slack_headers, token
from tests.approval.test_approval_slack import signed_post, worker
from tests.fakes.fake_receiver import FakeReceiver

pytestmark = pytest.mark.emulator

MAIN = str(Path(__file__).resolve().parents[2] / "functions" / "main.py")
PUSH_HEADERS = {"ce-id": "9", "ce-specversion": "1.0", "ce-type": "google.cloud.pubsub.topic.v1.messagePublished",
                "ce-source": "//pubsub.googleapis.com/projects/p/topics/kubesent-approve-clicks",
                "Content-Type": "application/json"}


@pytest.fixture
def slack() -> Iterator[FakeReceiver]:
    with FakeReceiver() as fake:
        yield fake


@pytest.fixture
def click_topic(pubsub_emulator: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """A fresh click topic with a pull subscription standing in for the push one."""
    monkeypatch.setenv("PUBSUB_EMULATOR_HOST", pubsub_emulator.host_port)
    name = f"clicks-{uuid.uuid4().hex[:8]}"
    topic = f"projects/{pubsub_emulator.project}/topics/{name}"
    subscription = f"projects/{pubsub_emulator.project}/subscriptions/{name}-pull"
    publisher, subscriber = pubsub_v1.PublisherClient(), pubsub_v1.SubscriberClient()
    publisher.create_topic(name=topic)
    subscriber.create_subscription(name=subscription, topic=topic)

    def pull() -> list[Any]:
        pulled = subscriber.pull(subscription=subscription, max_messages=5, timeout=10)
        if pulled.received_messages:
            subscriber.acknowledge(subscription=subscription,
                                   ack_ids=[item.ack_id for item in pulled.received_messages])
        return [item.message for item in pulled.received_messages]

    try:
        yield {"topic": topic, "publisher": publisher, "pull": pull}
    finally:
        subscriber.close()
        publisher.transport.close()


def _push(message: Any) -> dict[str, Any]:
    return {"message": {"data": base64.b64encode(message.data).decode(), "messageId": message.message_id,
                        "attributes": dict(message.attributes)}}


def test_a_click_travels_through_the_topic_and_is_carried_out_after_the_answer(
        proposed: dict[str, Any], sandbox: Any, slack: FakeReceiver, click_topic: dict[str, Any]) -> None:
    intake = approval_slack.Intake(TopicPublisher(click_topic["topic"], publisher=click_topic["publisher"]),
                                   response_url_base=slack.url + "/actions/")
    link = token(proposed["record"].incident_id)

    answer = signed_post(proposed["approver"], click_body(link, slack.url + RESPONSE_PATH), clicks=intake)

    assert json.loads(answer.body)["text"] == approval_slack.ACK_TEXT
    assert memory_limit(sandbox) == "10Mi" and slack.received == []
    [message] = click_topic["pull"]()
    assert message.attributes["incident"] == proposed["record"].incident_id
    assert "token" not in message.attributes and "response_url" not in message.attributes

    done = worker(proposed["approver"], slack).handle(approval_slack.decode(_push(message)))

    assert done is not None and done.title == "Applied" and memory_limit(sandbox) == "110Mi"
    assert slack.on(RESPONSE_PATH)[0].json["text"].startswith("Applied")


def test_the_entry_points_queue_then_carry_out(sandbox: Any, slack: FakeReceiver, click_topic: dict[str, Any],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    key = "k" * 32
    for name, value in {"KUBESENT_LEDGER": "memory", "KUBESENT_KUBE_MODE": "explicit",
                        "KUBESENT_KUBE_HOST": sandbox.url, "KUBESENT_LLM": "none", "KUBESENT_APPROVAL_KEY": key,
                        "KUBESENT_SLACK_SIGNING_SECRET": SLACK_SECRET,
                        "KUBESENT_SLACK_CLICK_TOPIC": click_topic["topic"],
                        "KUBESENT_SLACK_RESPONSE_URL_BASE": slack.url + "/actions/"}.items():
        monkeypatch.setenv(name, value)
    approve = create_app("kubesent_approve", MAIN, "http").test_client()
    click = create_app("kubesent_approve_click", MAIN, "cloudevent").test_client()
    link = token("f" * 40, key=key.encode(), expires_at=2_000_000_000)
    body = click_body(link, slack.url + RESPONSE_PATH)
    answered = approve.post("/slack", data=body, headers=slack_headers(body))

    assert answered.status_code == 200 and answered.get_json()["text"] == approval_slack.ACK_TEXT
    assert slack.received == []
    [message] = click_topic["pull"]()

    delivered = click.post("/", json=_push(message), headers=PUSH_HEADERS)

    assert delivered.status_code == 200
    [posted] = slack.on(RESPONSE_PATH)
    assert posted.json["text"].startswith("Unknown proposal")  # the memory ledger of this test holds none
