"""The remediation annotation: what the pipeline writes is what the memory rule reads back."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from kubesent.evidence import annotation

AT = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


def _render(earlier: annotation.RemediationNote | None = None, **previous: str) -> str:
    return annotation.render(earlier=earlier, incident_id="abc", remedy="raise_memory_limit", container="app",
                             at=AT, template_hash="7c9d", previous=previous, reason="x" * 1000)


def test_a_written_note_reads_back_as_written():
    note = annotation.parse({annotation.LAST_REMEDIATION: _render(memory_limit="128Mi")})

    assert note == annotation.RemediationNote(remedy="raise_memory_limit", container="app", template_hash="7c9d",
                                              previous={"memory_limit": "128Mi"},
                                              original={"memory_limit/app": "128Mi"})


def test_the_original_value_survives_later_raises():
    first = annotation.parse({annotation.LAST_REMEDIATION: _render(memory_limit="64Mi")})
    second = annotation.parse({annotation.LAST_REMEDIATION: _render(first, memory_limit="128Mi")})

    assert second is not None and second.previous == {"memory_limit": "128Mi"}
    assert second.original_value("memory_limit", "app") == "64Mi"


def test_the_quoted_reason_is_bounded():
    raw = json.loads(_render(memory_limit="64Mi"))

    assert len(raw["reason"]) == annotation.NOTE_REASON_CHARS


def test_a_note_of_another_shape_is_no_note_or_empty_fields():
    assert annotation.parse({}) is None
    assert annotation.parse({annotation.LAST_REMEDIATION: "not json"}) is None
    assert annotation.parse({annotation.LAST_REMEDIATION: "[1, 2]"}) is None
    assert annotation.parse({annotation.LAST_REMEDIATION: "[" * 100_000}) is None
    odd = annotation.parse({annotation.LAST_REMEDIATION: '{"remedy": 5, "previous": "128Mi", "original": []}'})
    assert odd == annotation.RemediationNote()
