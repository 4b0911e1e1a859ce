"""What every benchmark module shares: the ``Figure`` row, medians and percentiles, scenario helpers.

Pure helpers; no timing assertions anywhere (CONVENTIONS: benchmarks print figures, they do not assert).
Called by ``tests.bench.suite`` and the figure modules.
"""

from __future__ import annotations

import statistics
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

# The benchmarks measure the very incidents the tests use.
from tests.support import scenarios

ROOT = Path(__file__).resolve().parents[2]
FUNCTIONS = ROOT / "functions"
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
    key: str = ""
    """``section.name`` for a figure outside checks read from ``bench-results.json`` (DESIGN.md, Benchmarks);
    its ratio if it has a baseline, else its value."""

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


def scenario_bundle(name: str) -> dict[str, Any]:
    """A scenario folder's bundle, without its expected outcome."""
    return scenarios.load_scenario(name)[0]
