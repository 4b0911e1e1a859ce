"""Audit lines: one JSON object per line, written whole, with Cloud Logging's fields."""

from __future__ import annotations

import json

from kubesent import audit
from kubesent.audit import AuditRecord


class RecordingStream:
    def __init__(self) -> None:
        self.writes: list[str] = []

    def write(self, text: str) -> int:
        self.writes.append(text)
        return len(text)

    def flush(self) -> None:
        pass


def test_each_record_is_one_write_of_one_line():
    stream = RecordingStream()
    audit.emit(AuditRecord(action="escalated", reason="no safe fix"), stream=stream)  # type: ignore[arg-type]
    audit.log_problem("ERROR", "kubesent.rejected", stream=stream, detail="bad base64")  # type: ignore[arg-type]
    assert len(stream.writes) == 2, "a line written in pieces interleaves with other threads' lines"
    for text in stream.writes:
        assert text.endswith("\n") and text.count("\n") == 1
    first = json.loads(stream.writes[0])
    assert first["severity"] == "WARNING" and first["message"] == "kubesent.incident" and first["action"] == "escalated"
