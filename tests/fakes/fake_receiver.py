"""A local fake of every notification endpoint: a generic webhook, Slack (incoming webhook and the Web
API's ``chat.postMessage`` / ``chat.update``), Google Chat, Teams Workflows and PagerDuty Events v2.

Records each request (path, headers, raw body, JSON) and answers as the service does: Slack's Web API
with ``{"ok": true, "ts": ...}``, PagerDuty with 202, the webhooks with 200. ``fail(status, times=n)``
scripts failures; ``delay`` makes it slow (a timeout). In-process ``ThreadingHTTPServer`` on port 0.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
import urllib.parse
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.fakes.local_server import LocalServer


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        if self.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            return {k: v[0] for k, v in urllib.parse.parse_qs(self.body.decode()).items()}
        return json.loads(self.body)

    @property
    def route(self) -> str:
        return self.path.split("?", 1)[0]

    @property
    def query(self) -> dict[str, str]:
        return {k: v[0] for k, v in urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query).items()}


class FakeReceiver(LocalServer):
    def __init__(self, *, host: str = "127.0.0.1") -> None:
        self.received: list[Received] = []
        self.failures: deque[int] = deque()
        self.delay = 0.0
        self._ts = itertools.count(1)
        self._lock = threading.Lock()
        super().__init__(ThreadingHTTPServer((host, 0), _handler_for(self)), name="fake-receiver")

    def fail(self, status: int, *, times: int = 1) -> None:
        self.failures.extend([status] * times)

    def on(self, route: str) -> list[Received]:
        return [item for item in self.received if item.route == route]

    def answer(self, item: Received) -> tuple[int, bytes]:
        with self._lock:
            self.received.append(item)
            status = self.failures.popleft() if self.failures else 0
        if self.delay:
            time.sleep(self.delay)
        if status:
            return status, b'{"error":"scripted"}'
        if item.route.startswith("/slack/api/chat."):
            return 200, json.dumps({"ok": True, "channel": item.json.get("channel"),
                                    "ts": item.json.get("ts") or f"1700000000.{next(self._ts):06d}"}).encode()
        if item.route.startswith("/pagerduty"):
            return 202, json.dumps({"status": "success", "dedup_key": item.json.get("dedup_key")}).encode()
        if item.route.startswith("/slack/webhook"):
            return 200, b"ok"
        return 200, b"{}"


def _handler_for(fake: FakeReceiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        disable_nagle_algorithm = True
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
            del format, args

        def do_POST(self) -> None:  # noqa: N802 - stdlib naming
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            status, payload = fake.answer(Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    return Handler
