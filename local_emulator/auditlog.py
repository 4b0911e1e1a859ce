"""Reads KubeSent's structured log lines back out of the function's captured stdout.

The function prints one JSON object per line (``kubesent.audit``): ``kubesent.incident`` for every
event it judged, ``kubesent.rejected`` for a bad message (acknowledged), ``kubesent.retry`` for a
transient fault (redelivered), ``kubesent.verify_run`` per verifier run. Everything else on stdout (the
framework's own lines) is skipped.
Pure: never touches a process or the network.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

INCIDENT = "kubesent.incident"
REJECTED = "kubesent.rejected"
RETRY = "kubesent.retry"
VERIFY_RUN = "kubesent.verify_run"  # one per verifier run (kubesent_verify): how many outcomes it decided
KNOWN_MESSAGES = frozenset({INCIDENT, REJECTED, RETRY, VERIFY_RUN})
_DECODER = json.JSONDecoder()


@dataclass(frozen=True)
class LogRecord:
    """One structured line: its ``message`` kind and the whole decoded object."""

    message: str
    fields: dict[str, Any]

    @property
    def pod(self) -> str:
        """The pod an incident line is about (from its ``event`` summary), else ``""``."""
        event = self.fields.get("event") or {}
        return str(event.get("pod", "")) if isinstance(event, dict) else ""

    @property
    def action(self) -> str:
        return str(self.fields.get("action", ""))


def _objects(line: str) -> list[dict[str, Any]]:
    """Every JSON object on one line. Threads that ``print()`` concurrently can lose the newline
    between two lines (``print`` writes the text and the newline separately), so a line may hold
    more than one object; read them all rather than drop both."""
    found: list[dict[str, Any]] = []
    position = 0
    while position < len(line):
        start = line.find("{", position)
        if start < 0:
            break
        try:
            value, position = _DECODER.raw_decode(line, start)
        except ValueError:
            break
        if isinstance(value, dict):
            found.append(value)
    return found


def parse(text: str) -> list[LogRecord]:
    """Every KubeSent line in ``text``, in order."""
    records = []
    for line in text.splitlines():
        if not line.lstrip().startswith("{"):
            continue
        for fields in _objects(line.strip()):
            if fields.get("message") in KNOWN_MESSAGES:
                records.append(LogRecord(message=str(fields["message"]), fields=fields))
    return records


def merged_lines(text: str) -> list[str]:
    """Lines that hold more than one JSON object: structured logging that Cloud Logging would garble."""
    return [line for line in text.splitlines() if line.lstrip().startswith("{") and len(_objects(line.strip())) > 1]


def incidents(records: list[LogRecord]) -> list[LogRecord]:
    return [record for record in records if record.message == INCIDENT]


def for_pod(records: list[LogRecord], pod: str) -> list[LogRecord]:
    """The incident lines about ``pod``, oldest first."""
    return [record for record in incidents(records) if record.pod == pod]
