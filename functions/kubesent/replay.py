"""``replay``: run the pipeline over incident bundles, the bundle being the cluster (DESIGN.md contract).

One JSON line per input line, in input order. Each incident is judged as of its own event's time,
against its own objects, with a fresh in-memory ledger. Needs no cloud and no cluster.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any, TextIO

from kubesent import errors, events, wiring
from kubesent.audit import AuditRecord
from kubesent.cluster.memory import MemoryCluster
from kubesent.pipeline import Pipeline, utcnow
from kubesent.settings import Settings

CONTRACT_KEYS = ("id", "action", "remedy", "category", "confidence", "target", "patch", "root_cause")


def replay_line(line: str, *, settings: Settings, diagnoser: Any, index: int) -> dict[str, Any]:
    """The contract's output object for one bundle line, plus ``reason``: why the action was chosen."""
    bundle_id, record = replay_record(line, settings=settings, diagnoser=diagnoser, index=index)
    return _output(bundle_id, record)


def replay_record(line: str, *, settings: Settings, diagnoser: Any, index: int) -> tuple[Any, AuditRecord]:
    """The bundle's id and the full audit record the function would log for it."""
    bundle_id: Any = index
    try:
        bundle = json.loads(line)
        if not isinstance(bundle, dict):
            raise errors.BadEvent("a bundle line must be a JSON object")
        bundle_id = bundle.get("id", index)
        event = events.parse_event(bundle.get("event") or {})
        raw_objects, raw_logs = bundle.get("objects") or [], bundle.get("logs") or {}
        if not isinstance(raw_objects, list) or not isinstance(raw_logs, dict):
            raise errors.BadEvent("a bundle's objects must be a list and its logs an object")
        objects = [o for o in raw_objects if isinstance(o, dict)]
        logs = {str(k): {kk: vv for kk, vv in v.items() if isinstance(vv, str)}
                for k, v in raw_logs.items() if isinstance(v, dict)}
    except (ValueError, errors.BadEvent) as exc:
        return bundle_id, AuditRecord(action="ignored", reason=f"bad bundle: {errors.truncate(str(exc))}")
    cluster = MemoryCluster(objects, logs=logs)
    pipeline = Pipeline(settings, cluster=cluster, ledger=wiring.build_ledger(settings, kind="memory"),
                        diagnoser=diagnoser)
    try:
        record = pipeline.handle(event, now=event.occurred_at or utcnow())
    except errors.TransientError as exc:
        record = AuditRecord(action="escalated", reason=f"diagnosis unavailable: {errors.truncate(str(exc))}")
    except (errors.PermanentError, ValueError, TypeError, KeyError, AttributeError) as exc:
        # A bundle whose objects do not have the API's shape: one line says so; the run goes on.
        record = AuditRecord(action="escalated", reason=f"KubeSent could not process this bundle's objects: "
                                                        f"{type(exc).__name__}: {errors.truncate(str(exc))}")
    return bundle_id, record


def _output(bundle_id: Any, record: AuditRecord) -> dict[str, Any]:
    return {
        "id": bundle_id, "action": record.action, "remedy": record.remedy or "escalate",
        "category": record.category or "other", "confidence": record.confidence,
        "target": record.target.model_dump() if record.target else None,
        "patch": record.patch, "root_cause": record.root_cause or record.reason, "reason": record.reason,
    }


def replay(lines: Iterable[str], *, settings: Settings) -> Iterator[dict[str, Any]]:
    diagnoser = wiring.build_diagnoser(settings)
    for index, line in enumerate(lines, start=1):
        if line.strip():
            yield replay_line(line, settings=settings, diagnoser=diagnoser, index=index)


def replay_audit(lines: Iterable[str], *, settings: Settings) -> Iterator[dict[str, Any]]:
    """Per bundle, ``{"id", **the audit record}``: what the function would log for it."""
    diagnoser = wiring.build_diagnoser(settings)
    for index, line in enumerate(lines, start=1):
        if line.strip():
            bundle_id, record = replay_record(line, settings=settings, diagnoser=diagnoser, index=index)
            yield {"id": bundle_id, **record.model_dump(mode="json")}


def run(path: str, *, out: TextIO, explain: bool = False, audit: bool = False) -> int:
    """Print the contract's keys exactly; ``explain`` adds the policy's ``reason``; ``audit`` prints whole records."""
    settings = Settings()
    keys = (*CONTRACT_KEYS, "reason") if explain else CONTRACT_KEYS
    with open(path, encoding="utf-8") as handle:
        if audit:
            for record in replay_audit(handle, settings=settings):
                out.write(json.dumps(record, separators=(",", ":")) + "\n")
                out.flush()
            return 0
        for result in replay(handle, settings=settings):
            out.write(json.dumps({key: result[key] for key in keys}, separators=(",", ":")) + "\n")
            out.flush()
    return 0
