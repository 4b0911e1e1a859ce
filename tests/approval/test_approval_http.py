"""The approval endpoint's HTTP face: the browser's GET then POST, and Slack-shaped interactivity requests."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.parse
from typing import Any

from kubesent import approval_http
from tests.approval.support import deployment, memory_limit, token

SLACK_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"


def browser(approver: Any, method: str, link_token: str) -> approval_http.Response:
    if method == "GET":
        return approval_http.handle(approver, method="GET", path="/", query={"t": link_token}, headers={}, body=b"")
    body = urllib.parse.urlencode({"t": link_token}).encode()
    return approval_http.handle(approver, method="POST", path="/", query={},
                                headers={"Content-Type": "application/x-www-form-urlencoded"}, body=body)


def slack_request(approver: Any, link_token: str, *, secret: str = SLACK_SECRET, age: int = 0,
                  configured: str = SLACK_SECRET) -> approval_http.Response:
    payload = {"type": "block_actions", "user": {"id": "U1", "username": "ana"}, "channel": {"id": "C1"},
               "actions": [{"action_id": "kubesent_approve", "block_id": "b", "value": link_token,
                            "type": "button"}]}
    body = urllib.parse.urlencode({"payload": json.dumps(payload)}).encode()
    timestamp = str(int(time.time()) - age)
    signature = "v0=" + hmac.new(secret.encode(), f"v0:{timestamp}:".encode() + body, hashlib.sha256).hexdigest()
    headers = {"Content-Type": "application/x-www-form-urlencoded", "X-Slack-Request-Timestamp": timestamp,
               "X-Slack-Signature": signature}
    return approval_http.handle(approver, method="POST", path="/slack", query={}, headers=headers, body=body,
                                slack_signing_secret=configured)


def test_get_shows_a_confirmation_page_and_post_applies(proposed: dict[str, Any], sandbox: Any) -> None:
    link = token(proposed["record"].incident_id)

    page = browser(proposed["approver"], "GET", link)

    assert page.status == 200 and '<form method="post">' in page.body and "+containers[memory-hog]" in page.body
    assert memory_limit(sandbox) == "10Mi" and sandbox.writes() == []

    done = browser(proposed["approver"], "POST", link)

    assert done.status == 200 and "Applied" in done.body and memory_limit(sandbox) == "110Mi"
    assert deployment(sandbox)["metadata"]["annotations"]["kubesent.dev/approved-by"] == approval_http.LINK_HOLDER
    assert browser(proposed["approver"], "POST", link).status == 410  # the double click


def test_a_forged_link_page_has_no_form(proposed: dict[str, Any]) -> None:
    page = browser(proposed["approver"], "GET", "e30.AAAA")

    assert page.status == 401 and "<form" not in page.body


def test_a_signed_slack_click_approves(proposed: dict[str, Any], sandbox: Any) -> None:
    answer = slack_request(proposed["approver"], token(proposed["record"].incident_id))

    assert answer.status == 200 and json.loads(answer.body)["text"].startswith("Applied")
    assert deployment(sandbox)["metadata"]["annotations"]["kubesent.dev/approved-by"] == "slack:ana"


def test_a_slack_request_with_a_wrong_or_old_signature_is_401(proposed: dict[str, Any], sandbox: Any) -> None:
    link = token(proposed["record"].incident_id)

    wrong = slack_request(proposed["approver"], link, secret="not-the-signing-secret")
    old = slack_request(proposed["approver"], link, age=6 * 60)  # outside Slack's 5-minute window
    unconfigured = slack_request(proposed["approver"], link, configured="")

    assert wrong.status == old.status == unconfigured.status == 401
    assert memory_limit(sandbox) == "10Mi"
