"""Helpers of the approval tests: a proposal in the ledger, signed tokens, the Deployment's state."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.parse
from typing import Any

from kubesent import tokens

KEY = b"approval-key-for-tests-0123456789abcdef"
NOW = 1_900_000_000
SLACK_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
# A response_url's path is a credential: tests check it never reaches a log line.
RESPONSE_PATH = "/actions/T0001/1234567890/abcdefRESPONSEsecret"


class Reports:
    def __init__(self) -> None:
        self.records: list[Any] = []

    def report(self, record: Any) -> None:
        self.records.append(record)


def token(incident_id: str, decision: tokens.Decision = "approve", *, expires_at: int = NOW + 600,
          key: bytes = KEY) -> str:
    return tokens.mint(key, incident_id=incident_id, decision=decision, expires_at=expires_at)


def deployment(sandbox: Any) -> dict[str, Any]:
    found = sandbox.get_object(api_version="apps/v1", kind="Deployment", namespace="demo", name="memory-hog")
    assert found is not None
    return found


def memory_limit(sandbox: Any) -> str:
    return str(deployment(sandbox)["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["memory"])


def click_body(link_token: str, response_url: str) -> bytes:
    """A Slack block_actions request's form body, as Slack posts it."""
    payload = {"type": "block_actions", "user": {"id": "U1", "username": "ana"}, "channel": {"id": "C1"},
               "response_url": response_url,
               "actions": [{"action_id": "kubesent_approve", "block_id": "b", "value": link_token, "type": "button"}]}
    return urllib.parse.urlencode({"payload": json.dumps(payload)}).encode()


def slack_headers(body: bytes, *, secret: str = SLACK_SECRET) -> dict[str, str]:
    """Slack's v0 signature headers over ``body``, signed now."""
    timestamp = str(int(time.time()))
    signature = "v0=" + hmac.new(secret.encode(), f"v0:{timestamp}:".encode() + body, hashlib.sha256).hexdigest()
    return {"Content-Type": "application/x-www-form-urlencoded", "X-Slack-Request-Timestamp": timestamp,
            "X-Slack-Signature": signature}
