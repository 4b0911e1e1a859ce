"""The audit record: one per event, written as one structured log line and to the ledger.

Strict pydantic (``extra="forbid"``): it is ours. The log line uses Cloud Logging's ``severity`` and
``message`` fields so it is a real log entry on Cloud Functions. Secrets never reach it: every text
in it came through redaction. Called by the pipeline and ``main``.
"""

from __future__ import annotations

import json
import sys
from typing import Any, Literal, TextIO

from pydantic import BaseModel, ConfigDict

LOG_MESSAGE = "kubesent.incident"
_SEVERITY = {"applied": "NOTICE", "dry_run": "INFO", "proposed": "INFO", "escalated": "WARNING", "ignored": "DEBUG"}


class Target(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    kind: str
    namespace: str
    name: str


class AuditRecord(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: Literal["applied", "dry_run", "proposed", "escalated", "ignored"]
    reason: str
    incident: str | None = None
    """The incident key, readable (cluster/namespace/kind/name/container/category/hash)."""
    incident_id: str | None = None
    event: dict[str, str] = {}
    category: str | None = None
    remedy: str | None = None
    confidence: int = 0
    root_cause: str = ""
    evidence: list[str] = []
    diagnosed_by: str | None = None
    target: Target | None = None
    patch: dict[str, Any] | None = None
    previous: dict[str, Any] | None = None
    dry_run_result: str | None = None
    owner_chain: list[str] = []
    model: dict[str, Any] | None = None
    api_calls: int = 0
    duration_ms: int = 0

    def log_line(self) -> str:
        payload = {"severity": _SEVERITY[self.action], "message": LOG_MESSAGE, **self.model_dump(mode="json")}
        return json.dumps(payload, separators=(",", ":"), sort_keys=False)


def log_problem(severity: str, message: str, *, stream: TextIO | None = None, **fields: Any) -> None:
    """One structured line for something that is not an incident (a bad message, a retry)."""
    payload = {"severity": severity, "message": message, **fields}
    print(json.dumps(payload, separators=(",", ":"), default=str), file=stream or sys.stdout, flush=True)


def emit(record: AuditRecord, *, stream: TextIO | None = None) -> None:
    print(record.log_line(), file=stream or sys.stdout, flush=True)
