"""Generic helpers over API-shaped dicts: objects as ``kubectl get -o json`` prints them.

Bundles and API answers are not always shaped as the schema says (a field may be null, a list may be
an object); these helpers read them without crashing. The base layer: imports nothing of KubeSent's.
"""

from __future__ import annotations

from typing import Any


def as_dict(value: Any) -> dict[str, Any]:
    """``value`` if it is an object, else empty: bundles are not always shaped like API answers."""
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []
