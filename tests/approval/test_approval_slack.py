"""Slack's 3-second acknowledgement: the click is answered before it is carried out, then the answer goes
to the click's response_url (a real local HTTP server standing in for hooks.slack.com)."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import pytest

from kubesent import approval_http, approval_slack, errors
from kubesent.reporting import PublishFailed
from tests.approval.support import NOW, RESPONSE_PATH, SLACK_SECRET, click_body, memory_limit, slack_headers, token
from tests.fakes.fake_receiver import FakeReceiver


class RecordingQueue:
    """The topic, as the Intake sees it: keeps what was published, in order."""

    def __init__(self, *, fail: bool = False) -> None:
        self.messages: list[tuple[bytes, dict[str, str]]] = []
        self.fail = fail

    def publish(self, data: bytes, **attributes: str) -> str:
        if self.fail:
            raise PublishFailed("publishing to projects/p/topics/clicks failed: DeadlineExceeded")
        self.messages.append((data, attributes))
        return str(len(self.messages))

    def pushed(self, index: int = -1) -> dict[str, Any]:
        """The CloudEvent data a push subscription would deliver for a published message."""
        return {"message": {"data": base64.b64encode(self.messages[index][0]).decode(), "messageId": "1"}}


@pytest.fixture
def slack() -> Iterator[FakeReceiver]:
    with FakeReceiver() as fake:
        yield fake


def signed_post(approver: Any, body: bytes, *, clicks: approval_slack.Intake | None) -> approval_http.Response:
    return approval_http.handle(approver, method="POST", path="/slack", query={}, headers=slack_headers(body),
                                body=body, slack_signing_secret=SLACK_SECRET, slack_clicks=clicks)


def worker(approver: Any, slack: FakeReceiver, *, clock: float = NOW + 5) -> approval_slack.Worker:
    return approval_slack.Worker(approver, response_url_base=slack.url + "/actions/", timeout_seconds=2,
                                 clock=lambda: clock)


def test_the_click_is_answered_before_it_is_carried_out_then_the_answer_is_posted(
        proposed: dict[str, Any], sandbox: Any, slack: FakeReceiver) -> None:
    queue = RecordingQueue()
    intake = approval_slack.Intake(queue, response_url_base=slack.url + "/actions/")
    link = token(proposed["record"].incident_id)
    requests_before = len(sandbox.requests)

    answer = signed_post(proposed["approver"], click_body(link, slack.url + RESPONSE_PATH), clicks=intake)

    # Answered, and queued: yet nothing of the decision has happened (no cluster call, no marker, no post).
    assert answer.status == 200 and json.loads(answer.body)["text"] == approval_slack.ACK_TEXT
    assert len(queue.messages) == 1 and len(sandbox.requests) == requests_before
    assert proposed["ledger"].read_marker(f"approval/{proposed['record'].incident_id}") is None
    assert slack.received == [] and memory_limit(sandbox) == "10Mi"
    assert queue.messages[0][1] == {"incident": proposed["record"].incident_id, "decision": "approve",
                                    "approver": "slack:ana"}

    done = worker(proposed["approver"], slack).handle(approval_slack.decode(queue.pushed()))

    assert done is not None and done.title == "Applied" and memory_limit(sandbox) == "110Mi"
    [posted] = slack.on(RESPONSE_PATH)
    assert posted.json["replace_original"] is False and posted.json["text"].startswith("Applied: approved by slack:ana")
    assert posted.json["blocks"][0]["type"] == "section"
    assert proposed["reports"].records[-1].action == "applied"  # the notifier updates the channel's message


def test_a_redelivered_click_writes_nothing_more_and_posts_the_first_answer(
        proposed: dict[str, Any], sandbox: Any, slack: FakeReceiver) -> None:
    queue = RecordingQueue()
    intake = approval_slack.Intake(queue, response_url_base=slack.url + "/actions/")
    signed_post(proposed["approver"], click_body(token(proposed["record"].incident_id), slack.url + RESPONSE_PATH),
                clicks=intake)
    handler = worker(proposed["approver"], slack)
    handler.handle(approval_slack.decode(queue.pushed()))
    writes = len(sandbox.writes())

    again = handler.handle(approval_slack.decode(queue.pushed()))

    assert again is not None and again.status == 410 and len(sandbox.writes()) == writes
    assert [item.json["text"].split(":")[0] for item in slack.on(RESPONSE_PATH)] == ["Applied", "Already decided"]


def test_slack_down_after_the_write_is_retried_by_pubsub_and_then_told(
        proposed: dict[str, Any], sandbox: Any, slack: FakeReceiver) -> None:
    queue = RecordingQueue()
    intake = approval_slack.Intake(queue, response_url_base=slack.url + "/actions/")
    signed_post(proposed["approver"], click_body(token(proposed["record"].incident_id), slack.url + RESPONSE_PATH),
                clicks=intake)
    slack.fail(503)
    handler = worker(proposed["approver"], slack)

    with pytest.raises(errors.TransientError):
        handler.handle(approval_slack.decode(queue.pushed()))

    assert memory_limit(sandbox) == "110Mi"  # the decision stands
    handler.handle(approval_slack.decode(queue.pushed()))  # Pub/Sub's redelivery
    assert len(slack.on(RESPONSE_PATH)) == 2  # one post per delivery, within Slack's five


def test_forged_tokens_and_foreign_response_urls_are_refused_before_anything_is_queued(
        proposed: dict[str, Any], sandbox: Any, slack: FakeReceiver) -> None:
    queue = RecordingQueue()
    intake = approval_slack.Intake(queue, response_url_base=slack.url + "/actions/")
    good = token(proposed["record"].incident_id)

    forged = signed_post(proposed["approver"], click_body("e30.AAAA", slack.url + RESPONSE_PATH), clicks=intake)
    foreign = [signed_post(proposed["approver"], click_body(good, url), clicks=intake) for url in (
        "http://169.254.169.254/computeMetadata/v1/", slack.url + "/other/path", slack.url + "/actions/",
        slack.url.replace("127.0.0.1", "localhost") + RESPONSE_PATH, "https://hooks.slack.com" + RESPONSE_PATH,
        slack.url + "/actions/../admin", "")]

    assert json.loads(forged.body)["text"].startswith("Not a valid link")
    assert all(json.loads(reply.body)["text"].startswith("Not carried out") for reply in foreign)
    assert queue.messages == [] and slack.received == [] and memory_limit(sandbox) == "10Mi"


def test_a_queued_click_with_a_foreign_response_url_is_not_carried_out(
        proposed: dict[str, Any], sandbox: Any, slack: FakeReceiver) -> None:
    # The worker trusts the topic no more than the endpoint trusts Slack: it checks the URL again.
    click = approval_slack.Click(token=token(proposed["record"].incident_id), approver="slack:ana",
                                 response_url="http://127.0.0.1:9/actions/x", clicked_at=NOW)

    with pytest.raises(errors.PermanentError):
        worker(proposed["approver"], slack).handle(click)

    assert memory_limit(sandbox) == "10Mi"


def test_a_click_older_than_its_response_url_is_dropped(proposed: dict[str, Any], sandbox: Any,
                                                         slack: FakeReceiver) -> None:
    click = approval_slack.Click(token=token(proposed["record"].incident_id), approver="slack:ana",
                                 response_url=slack.url + RESPONSE_PATH, clicked_at=NOW)

    late = worker(proposed["approver"], slack, clock=NOW + approval_slack.CLICK_MAX_AGE_SECONDS + 1).handle(click)

    assert late is None and memory_limit(sandbox) == "10Mi" and slack.received == []


def test_a_failed_publish_says_nothing_was_done(proposed: dict[str, Any], slack: FakeReceiver,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    intake = approval_slack.Intake(RecordingQueue(fail=True), response_url_base=slack.url + "/actions/")
    link = token(proposed["record"].incident_id)

    answer = signed_post(proposed["approver"], click_body(link, slack.url + RESPONSE_PATH), clicks=intake)

    assert answer.status == 200 and "nothing was done" in json.loads(answer.body)["text"]
    logged = capsys.readouterr().out
    assert "kubesent.slack_click_not_queued" in logged
    assert link not in logged and "RESPONSEsecret" not in logged


def test_no_token_or_response_url_reaches_the_logs(proposed: dict[str, Any], slack: FakeReceiver,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    queue = RecordingQueue()
    intake = approval_slack.Intake(queue, response_url_base=slack.url + "/actions/")
    link = token(proposed["record"].incident_id)
    signed_post(proposed["approver"], click_body(link, slack.url + RESPONSE_PATH), clicks=intake)
    slack.fail(503)
    with pytest.raises(errors.TransientError) as unavailable:
        worker(proposed["approver"], slack).handle(approval_slack.decode(queue.pushed()))
    signed_post(proposed["approver"], click_body(link, "https://evil.example" + RESPONSE_PATH), clicks=intake)

    logged = capsys.readouterr().out + str(unavailable.value)

    assert "slack_click_refused" in logged and "unavailable" in logged
    assert link not in logged and "RESPONSEsecret" not in logged


def test_a_queued_message_that_is_not_a_click_is_a_permanent_error() -> None:
    for data in ({"message": {"data": "bm90IGpzb24="}}, {"message": {}}, None, {"message": {"data": "%%%"}}):
        with pytest.raises(approval_slack.NotAClick):
            approval_slack.decode(data)
