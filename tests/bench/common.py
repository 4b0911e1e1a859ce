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

ROOT = Path(__file__).resolve().parents[2]
FUNCTIONS = ROOT / "functions"
SCENARIOS = ROOT / "tests" / "scenarios"
if str(FUNCTIONS) not in sys.path:
    sys.path.insert(0, str(FUNCTIONS))

# The scenario helpers the tests use, re-exported so the benchmarks measure the very same incidents.
from tests.conftest import event_at  # noqa: E402,F401
from tests.conftest import load_scenario as shared_scenario  # noqa: E402
from tests.scenarios.builder import GOOD_MODEL_ANSWER, TRACEBACK, unexplained_crash  # noqa: E402,F401


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
    return shared_scenario(name)[0]
