"""The sinks' one HTTP path: JSON POST with a timeout and bounded retries with backoff.

Retries a 5xx, a 429 and a timeout or broken connection, never another 4xx (the request itself is
wrong). Standard library only: a notification must not pull an HTTP stack into the cold start.
Called by the sink modules.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kubesent import errors
from kubesent.notify import SinkRefused, SinkUnavailable

if TYPE_CHECKING:
    from kubesent.notify.message import Message

# Backoff before retry n is BACKOFF_SECONDS × 2^(n-1): 0.5 s, 1 s … a short outage passes, a long one
# is left to Pub/Sub's own redelivery (with its own backoff) instead of holding the instance.
BACKOFF_SECONDS = 0.5
# A sink's error body is foreign text; a log line keeps this much of it.
ERROR_BODY_CHARS = 200
SIGNATURE_HEADER = "X-KubeSent-Signature"


@dataclass(frozen=True)
class Policy:
    timeout_seconds: float = 5.0
    attempts: int = 3
    sleep: Callable[[float], None] = time.sleep


def sign(key: bytes, body: bytes, *, timestamp: int) -> str:
    """``t=<unix>,v1=<hex HMAC-SHA256 over "<t>.<body>">``: the timestamp is signed so a capture cannot be
    replayed later (the receiver bounds its age), the same scheme Stripe and Slack use."""
    digest = hmac.new(key, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify(key: bytes, body: bytes, header: str, *, now: int, tolerance_seconds: int = 300) -> bool:
    """A receiver's check of ``sign`` (used by tests and the demo's receiver)."""
    parts = dict(item.split("=", 1) for item in header.split(",") if "=" in item)
    try:
        timestamp = int(parts.get("t", ""))
    except ValueError:
        return False
    if abs(now - timestamp) > tolerance_seconds:
        return False
    expected = sign(key, body, timestamp=timestamp).split("v1=", 1)[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))


def post_json(url: str, payload: Any, *, policy: Policy, headers: dict[str, str] | None = None,
              signing_key: bytes | None = None, clock: Callable[[], float] = time.time) -> bytes:
    """POST ``payload`` as JSON; the response body. Raises ``SinkRefused`` (4xx) or ``SinkUnavailable``."""
    body = json.dumps(payload, separators=(",", ":")).encode()

    def attempt() -> bytes:
        sent = {"Content-Type": "application/json", "User-Agent": "kubesent-notifier", **(headers or {})}
        if signing_key is not None:
            sent[SIGNATURE_HEADER] = sign(signing_key, body, timestamp=int(clock()))
        request = urllib.request.Request(url, data=body, headers=sent, method="POST")
        with urllib.request.urlopen(request, timeout=policy.timeout_seconds) as response:  # noqa: S310 - configured URL
            return bytes(response.read())

    return with_retries(attempt, policy=policy, what=_host(url))


def with_retries(attempt: Callable[[], bytes], *, policy: Policy, what: str) -> bytes:
    """Run ``attempt`` until it succeeds, a 4xx refuses it, or the attempts run out."""
    last = ""
    for number in range(1, policy.attempts + 1):
        try:
            return attempt()
        except urllib.error.HTTPError as exc:
            detail = errors.truncate(exc.read().decode("utf-8", "replace"), ERROR_BODY_CHARS)
            if exc.code != 429 and exc.code < 500:
                raise SinkRefused(f"{what} refused the message: HTTP {exc.code} {detail}") from exc
            last = f"HTTP {exc.code} {detail}"
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            last = type(exc).__name__
        except SinkUnavailable as exc:  # an SDK-backed attempt says so itself
            last = str(exc)
        if number < policy.attempts:
            policy.sleep(BACKOFF_SECONDS * 2 ** (number - 1))
    raise SinkUnavailable(f"{what} unavailable after {policy.attempts} attempts: {last}")


def _host(url: str) -> str:
    """The sink's host for messages: never the path, which for a webhook is its secret."""
    return urllib.parse.urlparse(url).netloc or "the sink"


class UrlSink:
    """A sink that posts every message to one URL (a chat service's incoming webhook): what the Google
    Chat, Teams and Slack webhook sinks share. Subclasses set ``name`` and ``send``."""

    def __init__(self, url: str, *, policy: Policy) -> None:
        self.url = url
        self.policy = policy

    def wants(self, message: Message) -> bool:
        del message
        return True
