"""A local fake of Secret Manager's REST ``access`` call, for the real google-cloud-secret-manager client.

There is no Secret Manager emulator (FACTS.md §4); the client accepts ``transport="rest"`` with
``client_options={"api_endpoint": fake.url}`` and anonymous credentials. Serves
``GET /v1/projects/P/secrets/S/versions/V:access`` from an in-memory dict, answers 404 with a
Google error body for a missing secret, and can corrupt the checksum (``bad_crc=True``) or fail
with a status. Records every request path. In-process ``ThreadingHTTPServer`` on port 0.
"""

from __future__ import annotations

import base64
import json
import re
import threading
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from kubesent.secrets import crc32c
from tests.fakes.local_server import LocalServer

_ACCESS = re.compile(r"^/v1/(projects/[^/]+/secrets/[^/]+)/versions/([^/:]+):access$")
_STATUS_NAMES = {403: "PERMISSION_DENIED", 404: "NOT_FOUND", 429: "RESOURCE_EXHAUSTED", 500: "INTERNAL",
                 503: "UNAVAILABLE"}


class FakeSecretManager(LocalServer):
    """Secrets by ``projects/P/secrets/S``; every version name resolves to the one stored value."""

    def __init__(self, *, host: str = "127.0.0.1") -> None:
        self.secrets: dict[str, bytes] = {}
        self.bad_crc = False
        self.failures: deque[int] = deque()
        self.paths: list[str] = []
        self._lock = threading.Lock()
        super().__init__(ThreadingHTTPServer((host, 0), _handler_for(self)), name="fake-secret-manager")

    def add(self, name: str, value: str | bytes) -> None:
        """Store ``value`` under ``projects/P/secrets/S``."""
        self.secrets[name] = value.encode() if isinstance(value, str) else value

    def fail(self, status: int, *, times: int = 1) -> None:
        """Answer the next ``times`` requests with this HTTP status."""
        self.failures.extend([status] * times)

    def answer(self, path: str) -> tuple[int, dict[str, Any]]:
        """The status and JSON body for one GET."""
        with self._lock:
            self.paths.append(path)
            status = self.failures.popleft() if self.failures else 0
        if status:
            return status, _error(status, "scripted failure")
        match = _ACCESS.match(path.split("?", 1)[0])
        if match is None:
            return 404, _error(404, f"no route {path}")
        secret, version = match.groups()
        data = self.secrets.get(secret)
        if data is None:
            return 404, _error(404, f"Secret [{secret}] not found or has no versions.")
        checksum = crc32c(data) ^ (1 if self.bad_crc else 0)
        number = "1" if version == "latest" else version
        return 200, {"name": f"{secret}/versions/{number}",
                     "payload": {"data": base64.b64encode(data).decode(), "dataCrc32c": str(checksum)}}


def _error(status: int, message: str) -> dict[str, Any]:
    return {"error": {"code": status, "message": message, "status": _STATUS_NAMES.get(status, "UNKNOWN")}}


def _handler_for(fake: FakeSecretManager) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        # Headers and body go out in two writes; without this, Nagle plus delayed ACK stalls each answer ~40 ms.
        disable_nagle_algorithm = True
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
            del format, args

        def do_GET(self) -> None:  # noqa: N802 - stdlib naming
            status, body = fake.answer(self.path)
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=UTF-8")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    return Handler
