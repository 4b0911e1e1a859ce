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


def step_ceiling(current: float, *, factor: float, margin: float = 0) -> float:
    """The most one step may reach from ``current``: ×``factor``, or ``+margin`` when that is more
    (the VPA's +100Mi is more than ×2 on a small limit)."""
    return max(current * factor, current + margin)
