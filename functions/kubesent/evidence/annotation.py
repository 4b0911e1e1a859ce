"""KubeSent's remediation annotation on a workload: the one place that reads and writes its format.

``kubesent.dev/last-remediation`` holds a small JSON object: which incident and remedy last changed
the workload, the template version it changed, the values before that change (``previous``) and the
values before KubeSent's first change (``original``, for the total cap and a rollback). The pipeline
writes it with every patch; the memory rule reads it.

Anyone who can edit the workload can edit the annotation too, so a note only ever makes KubeSent more
careful (escalate, cap), never bolder. Pure: no I/O.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from kubesent.objects import as_dict

LAST_REMEDIATION = "kubesent.dev/last-remediation"
INCIDENT = "kubesent.dev/incident"
# A note larger than this is not KubeSent's (ours are a few hundred bytes): it is not parsed.
MAX_NOTE_CHARS = 8192
# The root cause is quoted in the note for a person reading the workload; the full text is in the ledger.
NOTE_REASON_CHARS = 300


@dataclass(frozen=True)
class RemediationNote:
    """The parsed annotation. Fields of the wrong type read as empty."""

    remedy: str = ""
    container: str = ""
    template_hash: str = ""
    previous: dict[str, Any] = field(default_factory=dict)
    """The values the last patch replaced, ``{"memory_limit": "128Mi"}``."""
    original: dict[str, Any] = field(default_factory=dict)
    """The values before KubeSent's first change, keyed ``"<field>/<container>"``."""

    def original_value(self, field_name: str, container: str) -> Any:
        return self.original.get(f"{field_name}/{container}")


def parse(annotations: dict[str, str]) -> RemediationNote | None:
    """The note on a workload, or None when there is none or it is not KubeSent's shape."""
    raw = annotations.get(LAST_REMEDIATION)
    if not raw:
        return None
    try:
        parsed = json.loads(raw[:MAX_NOTE_CHARS])
    except (ValueError, RecursionError):
        return None
    if not isinstance(parsed, dict):
        return None
    return RemediationNote(remedy=_text(parsed.get("remedy")), container=_text(parsed.get("container")),
                           template_hash=_text(parsed.get("templateHash")),
                           previous=as_dict(parsed.get("previous")), original=as_dict(parsed.get("original")))


def render(*, earlier: RemediationNote | None, incident_id: str, remedy: str, container: str | None,
           at: datetime, template_hash: str, previous: dict[str, Any], reason: str) -> str:
    """The note for a new patch. ``original`` keeps the earliest value of each field KubeSent changed."""
    original = dict(earlier.original) if earlier is not None else {}
    for field_name, value in previous.items():
        original.setdefault(f"{field_name}/{container}", value)
    return json.dumps({"incident": incident_id, "remedy": remedy, "container": container, "at": at.isoformat(),
                       "templateHash": template_hash, "previous": previous, "original": original,
                       "reason": reason[:NOTE_REASON_CHARS]}, separators=(",", ":"), sort_keys=True)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""
