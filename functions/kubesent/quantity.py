"""Kubernetes resource quantities: parse to numbers and format back. Pure.

Only what remedies and policy need: bytes for memory, millicores for CPU.
"""

from __future__ import annotations

import math
import re

_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL = {"n": 10**-9, "u": 10**-6, "m": 10**-3, "": 1, "k": 10**3, "M": 10**6, "G": 10**9,
            "T": 10**12, "P": 10**15, "E": 10**18}
_QUANTITY = re.compile(r"^([+-]?[0-9.]+(?:[eE][+-]?[0-9]+)?)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?$")
MI = 2**20


class QuantityError(ValueError):
    """The text is not a Kubernetes quantity."""


def parse(text: str) -> float:
    """Value of a quantity in base units (bytes, cores)."""
    match = _QUANTITY.fullmatch(str(text).strip())
    if match is None:
        raise QuantityError(f"not a Kubernetes quantity: {str(text)[:40]!r}")
    try:
        number = float(match.group(1))
    except ValueError:  # "1.2.3" and "." pass the pattern's character class but are no number
        raise QuantityError(f"not a Kubernetes quantity: {str(text)[:40]!r}") from None
    suffix = match.group(2) or ""
    value = number * (_BINARY[suffix] if suffix in _BINARY else _DECIMAL[suffix])
    if not math.isfinite(value) or value < 0:
        raise QuantityError(f"not a usable quantity: {str(text)[:40]!r}")
    return value


def is_zero(text: str) -> bool:
    """True for a quantity that reads as zero (``"0"``, ``"0Mi"``). As a limit it means no limit at all
    (kubernetes/kubernetes#70017): "raising" it would be a cut."""
    try:
        return parse(text) == 0
    except QuantityError:
        return False


def parse_bytes(text: str) -> int:
    """Memory quantity in bytes, rounded up."""
    return math.ceil(parse(text))


def parse_millicores(text: str) -> int:
    """CPU quantity in millicores, rounded up."""
    return math.ceil(parse(text) * 1000 - 1e-9)


def format_bytes(value: int) -> str:
    """Bytes as a quantity, rounded up to a whole Mi (``"110Mi"``), or Gi when exact."""
    mebibytes = math.ceil(value / MI)
    if mebibytes % 1024 == 0:
        return f"{mebibytes // 1024}Gi"
    return f"{mebibytes}Mi"


def format_millicores(value: int) -> str:
    """Millicores as a quantity (``"1500m"``, or ``"2"`` when whole)."""
    return str(value // 1000) if value % 1000 == 0 else f"{value}m"
