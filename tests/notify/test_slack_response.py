"""A click's answer through its response_url: only to Slack's host, in Slack's documented shape, no redirects."""

from __future__ import annotations

from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from kubesent.notify import SinkRefused, SinkUnavailable, slack, transport
from tests.fakes.fake_receiver import FakeReceiver
from tests.fakes.local_server import LocalServer

BASE = "https://hooks.slack.com/actions/"
ONCE = transport.Policy(timeout_seconds=2, attempts=1)


@pytest.fixture
def receiver() -> Iterator[FakeReceiver]:
    with FakeReceiver() as fake:
        yield fake


@pytest.mark.parametrize("url", [
    "https://hooks.slack.com/actions/T0001/123/abc",
])
def test_a_slack_response_url_is_accepted(url: str) -> None:
    assert slack.check_response_url(url, base=BASE) == url


@pytest.mark.parametrize("url", [
    "http://hooks.slack.com/actions/T0001/123/abc",  # not TLS
    "https://hooks.slack.com.evil.example/actions/T/1/a",
    "https://evil.example/actions/T/1/a",
    "https://user:pw@hooks.slack.com/actions/T/1/a",
    "https://hooks.slack.com:8443/actions/T/1/a",
    "https://hooks.slack.com/services/T/B/x",  # an incoming webhook, not a response_url
    "https://hooks.slack.com/actions/",
    "https://hooks.slack.com/actions/../services/T/B/x",
    "http://169.254.169.254/computeMetadata/v1/",
    "",
])
def test_anything_else_is_refused_without_quoting_the_url(url: str) -> None:
    with pytest.raises(slack.UnsafeResponseUrl) as refused:
        slack.check_response_url(url, base=BASE)
    assert "/T/1/a" not in str(refused.value) and "/T/B/x" not in str(refused.value)


def test_the_payload_is_slacks_documented_response_url_body() -> None:
    from slack_sdk.models.blocks import Block

    payload = slack.response_payload("Applied", "approved by slack:ana; the patch was written" + "x" * 4000)

    assert set(payload) == {"replace_original", "response_type", "text", "blocks"}
    assert payload["replace_original"] is False and payload["response_type"] == "ephemeral"
    assert len(payload["text"]) <= slack.MAX_SECTION_CHARS
    assert all(Block.parse(block) is not None for block in payload["blocks"])


def test_post_response_sends_json_to_the_url(receiver: FakeReceiver) -> None:
    url = receiver.url + "/actions/T1/2/secret"

    slack.post_response(url, slack.response_payload("Applied", "done"), base=receiver.url + "/actions/",
                        policy=ONCE)

    [sent] = receiver.on("/actions/T1/2/secret")
    assert sent.headers["content-type"] == "application/json" and sent.json["text"] == "Applied: done"


def test_a_4xx_is_refused_and_a_5xx_is_unavailable_naming_the_host_only(receiver: FakeReceiver) -> None:
    url = receiver.url + "/actions/T1/2/secret"
    receiver.fail(404)
    with pytest.raises(SinkRefused) as refused:
        slack.post_response(url, {"text": "x"}, base=receiver.url + "/actions/", policy=ONCE)
    receiver.fail(503)
    with pytest.raises(SinkUnavailable) as unavailable:
        slack.post_response(url, {"text": "x"}, base=receiver.url + "/actions/", policy=ONCE)

    assert "secret" not in str(refused.value) + str(unavailable.value)


class Redirector(LocalServer):
    """Answers every POST with a 303 (see other) to ``target``: a redirect must not be followed."""

    def __init__(self, target: str) -> None:
        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
                del format, args

            def do_POST(self) -> None:  # noqa: N802 - stdlib naming
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                self.send_response(303)
                self.send_header("Location", target)
                self.send_header("Content-Length", "0")
                self.end_headers()

        super().__init__(ThreadingHTTPServer(("127.0.0.1", 0), Handler), name="redirector")


def test_a_redirect_is_not_followed(receiver: FakeReceiver) -> None:
    with Redirector(receiver.url + "/internal") as redirector, pytest.raises(SinkRefused):
        slack.post_response(redirector.url + "/actions/T1/2/s", {"text": "x"},
                            base=redirector.url + "/actions/", policy=ONCE)

    assert receiver.received == []
