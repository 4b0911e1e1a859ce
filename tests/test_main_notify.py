"""``kubesent_notify`` and ``kubesent_approve`` through functions-framework's own test client."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest
from functions_framework import create_app

from tests.fakes.fake_receiver import FakeReceiver
from tests.notify.records import proposal

MAIN = str(Path(__file__).resolve().parents[1] / "functions" / "main.py")
HEADERS = {"ce-id": "7", "ce-specversion": "1.0", "ce-type": "google.cloud.pubsub.topic.v1.messagePublished",
           "ce-source": "//pubsub.googleapis.com/projects/p/topics/kubesent-events-reports",
           "Content-Type": "application/json"}


@pytest.fixture
def receiver() -> Iterator[FakeReceiver]:
    with FakeReceiver() as fake:
        yield fake


@pytest.fixture
def notify_client(receiver: FakeReceiver, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    for name, value in {"KUBESENT_LEDGER": "memory", "KUBESENT_WEBHOOK_URL": receiver.url + "/hook",
                        "KUBESENT_WEBHOOK_SIGNING_KEY": "s" * 32, "KUBESENT_NOTIFY_ATTEMPTS": "1",
                        "KUBESENT_APPROVAL_URL": "https://approve.example/", "KUBESENT_APPROVAL_KEY": "k" * 32,
                        "GOOGLE_CLOUD_PROJECT": "p"}.items():
        monkeypatch.setenv(name, value)
    return create_app("kubesent_notify", MAIN, "cloudevent").test_client()


def _push(record_json: str) -> dict[str, object]:
    return {"message": {"data": base64.b64encode(record_json.encode()).decode(), "messageId": "7"},
            "subscription": "projects/p/subscriptions/kubesent-notify-push"}


def test_a_report_is_sent_once_and_a_redelivery_is_a_no_op(notify_client, receiver: FakeReceiver) -> None:  # type: ignore[no-untyped-def]
    body = _push(proposal().model_dump_json())

    first = notify_client.post("/", json=body, headers=HEADERS)
    again = notify_client.post("/", json=body, headers=HEADERS)

    assert first.status_code == again.status_code == 200
    [sent] = receiver.on("/hook")
    assert sent.json["message"]["links"]["approve"].startswith("https://approve.example/?t=")


def test_an_outage_fails_the_delivery_so_pubsub_retries(notify_client, receiver: FakeReceiver) -> None:  # type: ignore[no-untyped-def]
    receiver.fail(503)

    response = notify_client.post("/", json=_push(proposal().model_dump_json()), headers=HEADERS)

    assert response.status_code == 500


def test_a_bad_report_is_acknowledged(notify_client, receiver: FakeReceiver) -> None:  # type: ignore[no-untyped-def]
    response = notify_client.post("/", json=_push("not json"), headers=HEADERS)

    assert response.status_code == 200 and receiver.received == []


@pytest.fixture
def approve_client(sandbox, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    for name, value in {"KUBESENT_LEDGER": "memory", "KUBESENT_KUBE_MODE": "explicit",
                        "KUBESENT_KUBE_HOST": sandbox.url, "KUBESENT_LLM": "none", "KUBESENT_APPROVAL_KEY": "k" * 32,
                        "KUBESENT_SLACK_SIGNING_SECRET": "s" * 32}.items():
        monkeypatch.setenv(name, value)
    return create_app("kubesent_approve", MAIN, "http").test_client()


def test_the_approval_target_answers_forged_links_and_unsigned_slack_requests(approve_client) -> None:  # type: ignore[no-untyped-def]
    page = approve_client.get("/?t=e30.AAAA")
    slack = approve_client.post("/slack", data={"payload": "{}"})

    assert page.status_code == 401 and page.headers["Cache-Control"] == "no-store"
    assert b"not signed by KubeSent" in page.data
    assert slack.status_code == 401
