"""How far one automatic change may go: the VPA rule and the one-step bound, written once.

Used by the memory rules (what to propose), the model-answer checks and the policy (what to allow).
The base layer: pure arithmetic, no imports of KubeSent's.
"""

from __future__ import annotations

import math

# The VPA recommender's margins (FACTS.md §3): needed = max(used + 100Mi, used × 1.2).
VPA_MARGIN_BYTES = 100 * 2**20
VPA_MARGIN_FACTOR = 1.2


def needed_memory_bytes(used_bytes: int) -> int:
    """The VPA rule: what a container that used ``used_bytes`` needs."""
    return math.ceil(max(used_bytes + VPA_MARGIN_BYTES, used_bytes * VPA_MARGIN_FACTOR))


# A probe's detection time (how long a dead app goes unnoticed) may at most double in one change: a
# probe loosened further stops detecting a hung app.
MAX_DETECTION_GROWTH = 2.0


def probe_detection_seconds(*, initial_delay: int, period: int, failure_threshold: int, timeout: int) -> int:
    """How long after start a dead container is first killed (or marked unready) by this probe."""
    return initial_delay + period * failure_threshold + timeout


def step_ceiling(current: float, *, factor: float, margin: float = 0) -> float:
    """The most one step may reach from ``current``: ×``factor``, or ``+margin`` when that is more
    (the VPA's +100Mi is more than ×2 on a small limit)."""
    return max(current * factor, current + margin)
