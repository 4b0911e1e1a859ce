"""Injected failures: status codes, bodies and delays matched against incoming requests.

Thread-safe; the router asks `take()` before serving each non-control request.
"""
from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import Any

_REASONS: dict[int, str] = {400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound",
                            409: "Conflict", 410: "Expired", 422: "Invalid", 429: "TooManyRequests",
                            500: "InternalError", 503: "ServiceUnavailable", 504: "Timeout"}


@dataclass
class Fault:
    """One rule; `count` is how many more requests it applies to."""

    method: str
    path: re.Pattern[str]
    status: int
    count: int
    delay_seconds: float
    body: dict[str, Any] | None

    def response_body(self) -> dict[str, Any]:
        if self.body is not None:
            return self.body
        reason = _REASONS.get(self.status, "InternalError")
        return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                "message": f"injected fault: {reason}", "reason": reason, "code": self.status}


class FaultInjector:
    """An ordered list of fault rules; the first matching one fires."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, *, method: str = "*", path: str = ".*", status: int = 500, count: int = 1,
            delay_seconds: float = 0.0, body: dict[str, Any] | None = None) -> None:
        with self._lock:
            self._faults.append(Fault(method.upper(), re.compile(path), status, count,
                                      delay_seconds, body))

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def take(self, *, method: str, path: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.method in ("*", method) and fault.path.search(path):
                    fault.count -= 1
                    if fault.count <= 0:
                        self._faults.remove(fault)
                    return fault
        return None
