"""Shared by the attack tests: load a scenario that KubeSent patches, and replay a changed copy of it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from kubesent import replay
from kubesent.settings import Settings

Bundle = dict[str, Any]
SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
WRITES = ("applied", "dry_run")


def bundle_of(name: str) -> Bundle:
    return json.loads((SCENARIOS / name / "bundle.json").read_text())


def obj(bundle: Bundle, kind: str) -> dict[str, Any]:
    return next(o for o in bundle["objects"] if o["kind"] == kind)


def replay_bundle(bundle: Bundle) -> dict[str, Any]:
    settings = Settings(llm="none", ledger="memory", dry_run=False)
    return replay.replay_line(json.dumps(bundle), settings=settings,
                              diagnoser=replay.wiring.build_diagnoser(settings), index=1)
