"""Quantities as the sandbox's scripts and QoS check read them ("64Mi", "500m"). Pure."""
from __future__ import annotations

import re

_QUANTITY = re.compile(r"^([0-9.]+)([A-Za-z]*)$")
_SUFFIXES: dict[str, float] = {"": 1, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "m": 1e-3,
                               "Ki": 2 ** 10, "Mi": 2 ** 20, "Gi": 2 ** 30, "Ti": 2 ** 40}


def quantity_bytes(quantity: str | int | None) -> float | None:
    if quantity is None:
        return None
    match = _QUANTITY.match(str(quantity))
    if not match or match.group(2) not in _SUFFIXES:
        return None
    return float(match.group(1)) * _SUFFIXES[match.group(2)]
