"""A local fake of the Gemini ``generateContent`` REST endpoint, for the real google-genai SDK.

In-process ``ThreadingHTTPServer`` on port 0. Answers ``POST /v1beta/models/{model}:generateContent``
(and ``/v1/...``) from a scripted queue of responses, then from a configurable default answer.
Records every request (path, headers, JSON body) so tests can assert what was sent: the prompt is
fenced, redacted, and sent once per incident. Used by tests and benchmarks; never by ``functions/``.

    with FakeGemini() as fake:
        fake.answer_json({"category": "crash_loop", ...})
        client = genai.Client(api_key="k", http_options=types.HttpOptions(base_url=fake.url))
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.fakes.local_server import LocalServer

_GENERATE_PATH = re.compile(r"^/(v1|v1beta|v1beta1)/(?:projects/[^/]+/locations/[^/]+/publishers/google/)?"
                            r"models/([^/:]+):generateContent$")


@dataclass(frozen=True)
class ScriptedResponse:
    """One answer of the fake: an HTTP status, a JSON body (or raw text), and an optional delay."""

    status: int = 200
    body: Any = None
    raw: str | None = None
    delay_seconds: float = 0.0


@dataclass(frozen=True)
class RecordedRequest:
    """One request the fake received."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any

    @property
    def model(self) -> str | None:
        match = _GENERATE_PATH.match(self.path.split("?", 1)[0])
        return match.group(2) if match else None

    def text(self) -> str:
        """All text the request carried: system instruction and contents, joined by newlines."""
        if not isinstance(self.body, dict):
            return ""
        parts: list[str] = []
        system = self.body.get("systemInstruction") or self.body.get("system_instruction") or {}
        for part in system.get("parts", []) if isinstance(system, dict) else []:
            parts.append(str(part.get("text", "")))
        for content in self.body.get("contents", []):
            for part in content.get("parts", []):
                parts.append(str(part.get("text", "")))
        return "\n".join(parts)


def candidate_response(text: str) -> dict[str, Any]:
    """A minimal successful generateContent body carrying ``text`` as the model's answer."""
    return {
        "candidates": [{"content": {"role": "model", "parts": [{"text": text}]}, "finishReason": "STOP", "index": 0}],
        "usageMetadata": {"promptTokenCount": 10, "candidatesTokenCount": 10, "totalTokenCount": 20},
        "modelVersion": "fake",
    }


def error_response(status: int, message: str) -> dict[str, Any]:
    """A Google API error body, as the real service sends it."""
    names = {400: "INVALID_ARGUMENT", 403: "PERMISSION_DENIED", 404: "NOT_FOUND", 429: "RESOURCE_EXHAUSTED",
             500: "INTERNAL", 503: "UNAVAILABLE"}
    return {"error": {"code": status, "message": message, "status": names.get(status, "UNKNOWN")}}


@dataclass
class _State:
    queue: deque[ScriptedResponse] = field(default_factory=deque)
    default: ScriptedResponse = field(default_factory=lambda: ScriptedResponse(
        body=candidate_response(json.dumps({"category": "other", "root_cause": "fake default answer",
                                            "remedy": "escalate", "confidence": 0, "evidence": []}))))
    requests: list[RecordedRequest] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class FakeGemini(LocalServer):
    """The fake server. Start with ``start()`` or a ``with`` block; ``url`` is its base URL."""

    def __init__(self, *, host: str = "127.0.0.1") -> None:
        self._state = _State()
        super().__init__(ThreadingHTTPServer((host, 0), _handler_for(self._state)), name="fake-gemini")

    # --- scripting -------------------------------------------------------------------------------
    def enqueue(self, *responses: ScriptedResponse) -> None:
        """Answer the next requests with these, in order; then the default answer."""
        with self._state.lock:
            self._state.queue.extend(responses)

    def answer_text(self, text: str, *, delay_seconds: float = 0.0) -> None:
        """Queue one successful answer whose text is ``text`` (may be invalid JSON on purpose)."""
        self.enqueue(ScriptedResponse(body=candidate_response(text), delay_seconds=delay_seconds))

    def answer_json(self, answer: dict[str, Any], *, delay_seconds: float = 0.0) -> None:
        """Queue one successful answer carrying ``answer`` as its JSON text."""
        self.answer_text(json.dumps(answer), delay_seconds=delay_seconds)

    def fail(self, status: int, *, times: int = 1, message: str = "scripted failure") -> None:
        """Queue ``times`` error answers with this HTTP status."""
        self.enqueue(*[ScriptedResponse(status=status, body=error_response(status, message))] * times)

    def set_default(self, response: ScriptedResponse) -> None:
        """The answer once the queue is empty."""
        with self._state.lock:
            self._state.default = response

    # --- inspection ------------------------------------------------------------------------------
    @property
    def requests(self) -> list[RecordedRequest]:
        with self._state.lock:
            return list(self._state.requests)

    @property
    def count(self) -> int:
        with self._state.lock:
            return len(self._state.requests)

    def reset(self) -> None:
        with self._state.lock:
            self._state.queue.clear()
            self._state.requests.clear()


def _handler_for(state: _State) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        # Headers and body go out in two writes; without this, Nagle plus delayed ACK stalls each answer ~40 ms.
        disable_nagle_algorithm = True
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
            del format, args  # keep test output clean

        def do_POST(self) -> None:  # noqa: N802 - stdlib naming
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body: Any = json.loads(raw) if raw else None
            except json.JSONDecodeError:
                body = raw.decode("utf-8", "replace")
            if _GENERATE_PATH.match(self.path.split("?", 1)[0]) is None:
                self._send(ScriptedResponse(status=404, body=error_response(404, f"no route {self.path}")))
                return
            with state.lock:
                state.requests.append(RecordedRequest("POST", self.path, dict(self.headers.items()), body))
                response = state.queue.popleft() if state.queue else state.default
            if response.delay_seconds:
                time.sleep(response.delay_seconds)
            self._send(response)

        def _send(self, response: ScriptedResponse) -> None:
            payload = (response.raw if response.raw is not None else json.dumps(response.body)).encode()
            try:
                self.send_response(response.status)
                self.send_header("Content-Type", "application/json; charset=UTF-8")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client timed out and hung up: that is what a delay test wants

    return Handler
