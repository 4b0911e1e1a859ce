"""The shape of a container's memory over its last life, from a metrics series. Pure.

The kubelet kills on the working set (``container_memory_working_set_bytes``); GKE's system metric
``kubernetes.io/container/memory/used_bytes`` follows it. Two shapes matter after an OOM kill:
- **undersized**: the working set reaches most of its peak early (start-up, a cache fill) and plateaus
  at the limit: more memory fixes it;
- **leak**: it climbs steadily through the whole life: more memory only delays the next kill.
Anything else, or too few points, says nothing. Called by ``evidence.gather``; read by the OOM rule.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

# Fewer points than this (one a minute or so) is no trend.
MIN_SAMPLES = 6
# "Early": the first fifth of the life; "most of its peak": 80 %. A plateau keeps the later half's median
# there too.
EARLY_SHARE_OF_LIFE = 0.2
EARLY_SHARE_OF_PEAK = 0.8
# A leak climbs through the life: most steps go up, and the climb is a large part of the peak.
RISING_SHARE_OF_STEPS = 0.6
CLIMB_SHARE_OF_PEAK = 0.3
MI = 2**20


class TrendKind(StrEnum):
    UNDERSIZED = "undersized"
    LEAK = "leak"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class MemoryTrend:
    kind: TrendKind
    samples: int
    peak_bytes: float
    slope_bytes_per_minute: float
    source: str
    """Where the series came from (``prometheus``, ``cloud_monitoring``)."""

    def describe(self) -> str:
        return (f"{self.kind.value}: {self.samples} samples from {self.source}, peak "
                f"{self.peak_bytes / MI:.0f}Mi, slope {self.slope_bytes_per_minute / MI:+.1f}Mi/min")


def classify(samples: Sequence[tuple[float, float]], *, source: str) -> MemoryTrend | None:
    """``samples`` are ``(seconds, bytes)`` over one life of the container, oldest first; None without data."""
    points = sorted((float(t), float(v)) for t, v in samples if v >= 0)
    if len(points) < MIN_SAMPLES:
        return None
    start, end = points[0][0], points[-1][0]
    span = end - start
    if span <= 0:
        return None
    values = [v for _, v in points]
    peak = max(values)
    slope = _slope(points) * 60
    if peak <= 0:
        return MemoryTrend(TrendKind.UNKNOWN, len(points), peak, slope, source)
    early = max(v for t, v in points if t - start <= EARLY_SHARE_OF_LIFE * span)
    steps = list(zip(values, values[1:], strict=False))
    rising = sum(1 for a, b in steps if b > a) / len(steps)
    climb = values[-1] - values[0]
    later = sorted(values[len(values) // 2:])
    if early >= EARLY_SHARE_OF_PEAK * peak and later[len(later) // 2] >= EARLY_SHARE_OF_PEAK * peak:
        kind = TrendKind.UNDERSIZED  # high early and it stays there: a plateau
    elif slope > 0 and rising >= RISING_SHARE_OF_STEPS and climb >= CLIMB_SHARE_OF_PEAK * peak:
        kind = TrendKind.LEAK
    else:
        kind = TrendKind.UNKNOWN
    return MemoryTrend(kind, len(points), peak, slope, source)


def _slope(points: Sequence[tuple[float, float]]) -> float:
    """Least-squares slope, bytes per second."""
    n = len(points)
    mean_t = sum(t for t, _ in points) / n
    mean_v = sum(v for _, v in points) / n
    spread = sum((t - mean_t) ** 2 for t, _ in points)
    return sum((t - mean_t) * (v - mean_v) for t, v in points) / spread if spread else 0.0
