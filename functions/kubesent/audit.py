"""The audit record: one per event, written as one structured log line and to the ledger.

Strict pydantic (``extra="forbid"``): it is ours. The log line uses Cloud Logging's ``severity`` and
``message`` fields so it is a real log entry on Cloud Functions. Secrets never reach it: every text
in it came through redaction. Called by the pipeline and ``main``.
"""

from __future__ import annotations

import json
import sys
import threading
from typing import Any, Literal, TextIO

from pydantic import BaseModel, ConfigDict

LOG_MESSAGE = "kubesent.incident"
# The actions an incident can end in (DESIGN.md contract): exactly one per incident.
Action = Literal["applied", "dry_run", "proposed", "escalated", "ignored"]
WRITING_ACTIONS: tuple[Action, ...] = ("applied", "dry_run")
"""The actions that lead to a server-side dry-run or a patch."""
# functions-framework serves events on several threads; one write per line under a lock keeps each
# JSON object on its own line (print() writes text and newline separately, so lines interleave).
_WRITE_LOCK = threading.Lock()
_SEVERITY = {"applied": "NOTICE", "dry_run": "INFO", "proposed": "INFO", "escalated": "WARNING", "ignored": "DEBUG"}


class Target(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    kind: str
    namespace: str
    name: str


class AuditRecord(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: Action
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
    model_budget: dict[str, Any] | None = None
    """When a model call was considered: ``{"hour": "used/limit", "day": "used/limit", "exhausted", ...}``."""
    verification: dict[str, Any] | None = None
    """After a written fix was checked (``verify``): ``outcome`` (verified, not_healed, worse, stalled),
    ``detail``, ``undo``, ``checked_at``."""
    api_calls: int = 0
    ledger_ops: int = 0
    """Ledger protocol calls this event made (a duplicate answered from memory makes none)."""
    duration_ms: int = 0

    def log_line(self) -> str:
        payload = {"severity": _SEVERITY[self.action], "message": LOG_MESSAGE, **self.model_dump(mode="json")}
        return json.dumps(payload, separators=(",", ":"), sort_keys=False)


def log_problem(severity: str, message: str, *, stream: TextIO | None = None, **fields: Any) -> None:
    """One structured line for something that is not an incident (a bad message, a retry)."""
    payload = {"severity": severity, "message": message, **fields}
    _write(json.dumps(payload, separators=(",", ":"), default=str), stream or sys.stdout)


def emit(record: AuditRecord, *, stream: TextIO | None = None) -> None:
    _write(record.log_line(), stream or sys.stdout)


def _write(line: str, stream: TextIO) -> None:
    with _WRITE_LOCK:
        stream.write(line + "\n")
        stream.flush()
