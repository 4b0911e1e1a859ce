"""What every benchmark module shares: the ``Figure`` row, medians and percentiles, scenario helpers.

Pure helpers; no timing assertions anywhere (CONVENTIONS: benchmarks print figures, they do not assert).
Called by ``tests.bench.suite`` and the figure modules.
"""

from __future__ import annotations

import copy
import json
import statistics
import sys
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
FUNCTIONS = ROOT / "functions"
SCENARIOS = ROOT / "tests" / "scenarios"
if str(FUNCTIONS) not in sys.path:
    sys.path.insert(0, str(FUNCTIONS))


@dataclass
class Figure:
    """One row of the table: a measured value beside a baseline measured in the same run."""

    name: str
    value: float | None
    unit: str
    baseline: float | None = None
    baseline_name: str = ""
    goal: str = ""
    note: str = ""
    ratio: float | None = None

    def __post_init__(self) -> None:
        if self.ratio is None and self.value is not None and self.baseline:
            self.ratio = self.value / self.baseline

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def median(values: list[float]) -> float:
    return statistics.median(values)


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (``share`` in 0..1): no interpolation between samples."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(share * len(ordered) + 0.5)))
    return ordered[rank - 1]


def load_scenario(name: str) -> dict[str, Any]:
    return json.loads((SCENARIOS / name / "bundle.json").read_text())


def event_at(bundle: dict[str, Any], when: datetime) -> dict[str, Any]:
    """The bundle's exporter event, re-stamped as if it just happened (as tests/conftest.py does)."""
    event = copy.deepcopy(bundle["event"])
    stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    if event.get("lastTimestamp"):
        event["lastTimestamp"] = stamp
    if event.get("eventTime"):
        event["eventTime"] = when.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    event["metadata"]["creationTimestamp"] = stamp
    return event


def unexplained_crash(bundle: dict[str, Any], log: str) -> dict[str, Any]:
    """crashloop-command without its command override and with an app traceback: the rules leave it to the
    model (as tests/test_pipeline_gemini.py ``_unexplained_crash``)."""
    bundle = copy.deepcopy(bundle)
    for obj in bundle["objects"]:
        spec = obj.get("spec", {}).get("template", {}).get("spec") or (obj.get("spec") if obj["kind"] == "Pod" else None)
        for container in (spec or {}).get("containers", []):
            container.pop("command", None), container.pop("args", None)
    key = next(iter(bundle["logs"]))
    bundle["logs"][key]["previous"] = log
    return bundle


TRACEBACK = ("Traceback (most recent call last):\n  File \"/srv/app.py\", line 41, in <module>\n"
             "    shards = load_shard_map()\nValueError: shard map has 0 entries\n")
GOOD_MODEL_ANSWER = {"category": "crash_loop", "root_cause": "The app exits because its shard map is empty.",
                     "remedy": "add_missing_config", "container": "worker", "confidence": 80,
                     "config_kind": "ConfigMap", "config_name": "shard-map",
                     "evidence": ["ValueError: shard map has 0 entries"]}
