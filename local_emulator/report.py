"""Readable text for the demo: one block per incident, from its audit line. Pure: returns strings.

What failed, the evidence, the diagnosis, the decision and why, the patch, and what happened next.
"""

from __future__ import annotations

import json
import textwrap
from typing import Any

from local_emulator.auditlog import LogRecord

WIDTH = 100  # wrap long root causes and reasons for a terminal
RULE = "─" * WIDTH


def _wrap(label: str, text: str) -> str:
    indent = " " * (len(label) + 2)
    return textwrap.fill(text, width=WIDTH, initial_indent=f"  {label}", subsequent_indent=indent,
                         break_on_hyphens=False, break_long_words=False)


def incident(title: str, record: LogRecord | None, *, recovery: str, expected: str, ok: bool) -> str:
    """One incident's block; ``record`` None means the function never reported it."""
    lines = [RULE, f"{'✔' if ok else '✘'} {title}"]
    if record is None:
        lines += ["  no audit line from the function (see the function log)", f"  expected:    {expected}"]
        return "\n".join(lines)
    fields: dict[str, Any] = record.fields
    event = fields.get("event") or {}
    target = fields.get("target") or {}
    lines.append(_wrap("event:       ", f"{event.get('reason', '?')} on pod {event.get('namespace', '?')}/"
                                        f"{event.get('pod', '?')}: {event.get('message', '')}"))
    for item in fields.get("evidence") or []:
        lines.append(_wrap("evidence:    ", str(item)))
    lines.append(_wrap("diagnosis:   ", f"{fields.get('category')} → {fields.get('remedy')} "
                                        f"(confidence {fields.get('confidence')}, by {fields.get('diagnosed_by')})"))
    if fields.get("root_cause"):
        lines.append(_wrap("root cause:  ", str(fields["root_cause"])))
    lines.append(_wrap("decision:    ", f"{str(fields.get('action', '?')).upper()}: {fields.get('reason', '')}"))
    if target:
        lines.append(f"  target:      {target.get('kind')} {target.get('namespace')}/{target.get('name')}")
    if fields.get("patch"):
        lines.append("  patch:       " + json.dumps(fields["patch"], separators=(",", ":")))
    if fields.get("previous"):
        lines.append("  was:         " + json.dumps(fields["previous"], separators=(",", ":")))
    lines.append(_wrap("afterwards:  ", recovery))
    if not ok:
        lines.append(f"  expected:    {expected}")
    return "\n".join(lines)


def verification(fixed: LogRecord, checked: LogRecord | None) -> str:
    """The verifier's outcome for one written fix; ``checked`` None means no outcome arrived in time."""
    target = fixed.fields.get("target") or {}
    where = f"{target.get('kind')} {target.get('namespace')}/{target.get('name')}"
    if checked is None:
        return f"✘ no verification of the fix on {where} arrived (see the verifier's log)"
    outcome = checked.fields.get("verification") or {}
    mark = "✔" if outcome.get("outcome") == "verified" else "✘"
    lines = [f"{mark} {str(outcome.get('outcome', '?')).replace('_', ' ')}: the fix on {where} "
             f"({fixed.fields.get('remedy')})", _wrap("checked:     ", str(outcome.get("detail", "")))]
    if outcome.get("undo"):
        lines.append(_wrap("undo:        ", str(outcome["undo"])))
    return "\n".join(lines)


def summary(results: list[tuple[str, bool]], *, seconds: float, log_path: str) -> str:
    passed = sum(1 for _, ok in results if ok)
    verdict = "all expected outcomes reached" if passed == len(results) else "SOME EXPECTED OUTCOMES WERE NOT REACHED"
    return "\n".join([RULE, f"{passed}/{len(results)} incidents: {verdict} in {seconds:.1f} s.",
                      f"Function log (one JSON line per event): {log_path}"])
