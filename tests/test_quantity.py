"""Kubernetes quantities: what a limit in a pod spec is worth, and how KubeSent writes one back."""

from __future__ import annotations

import pytest

from kubesent import quantity

MI = 2**20


@pytest.mark.parametrize(("text", "value"), [
    ("0", 0),
    ("1e3", 1000),
    ("1.5Gi", 1.5 * 2**30),
    ("100m", 0.1),
    ("1Ki", 1024),
    ("1k", 1000),            # decimal kilo is lowercase in Kubernetes
    ("500M", 500 * 10**6),
    ("1E", 10**18),          # a bare E is exa, not an exponent
    ("2Ei", 2 * 2**60),
    ("134217728", 134217728),
    ("0.5", 0.5),
    ("+5", 5),
    (" 64Mi ", 64 * MI),     # surrounding blanks are tolerated
])
def test_parse_gives_base_units(text: str, value: float) -> None:
    assert quantity.parse(text) == pytest.approx(value)


@pytest.mark.parametrize("text", ["", "garbage", "1K", "1e", "Mi", "1 Mi", "1_000", "Infinity", "nan", "-1", "1e400",
                                  "１"])
def test_malformed_or_unusable_quantities_raise_quantity_error(text: str) -> None:
    with pytest.raises(quantity.QuantityError):
        quantity.parse(text)


@pytest.mark.parametrize("text", [
    "1.2.3",
    pytest.param(".", id="dot-alone"),
])
def test_numbers_with_stray_dots_raise_quantity_error(text: str) -> None:
    with pytest.raises(quantity.QuantityError):
        quantity.parse(text)


def test_quantity_error_is_a_value_error() -> None:
    assert issubclass(quantity.QuantityError, ValueError)


@pytest.mark.parametrize(("text", "expected"), [("1.5Gi", 1610612736), ("500M", 500_000_000), ("1m", 1), ("0", 0)])
def test_parse_bytes_rounds_up_to_whole_bytes(text: str, expected: int) -> None:
    assert quantity.parse_bytes(text) == expected


@pytest.mark.parametrize(("text", "expected"), [("100m", 100), ("0.5", 500), ("1", 1000), ("0.1", 100),
                                                ("1.1", 1100), ("250m", 250), ("1500m", 1500), ("0.0001", 1)])
def test_parse_millicores_rounds_up_without_float_noise(text: str, expected: int) -> None:
    assert quantity.parse_millicores(text) == expected


@pytest.mark.parametrize(("value", "expected"), [(110 * MI, "110Mi"), (MI + 1, "2Mi"), (1, "1Mi"), (2**30, "1Gi"),
                                                 (3 * 2**30, "3Gi"), (1536 * MI, "1536Mi"), (0, "0Gi")])
def test_format_bytes_rounds_up_to_whole_mebibytes(value: int, expected: str) -> None:
    assert quantity.format_bytes(value) == expected


@pytest.mark.parametrize(("value", "expected"), [(1500, "1500m"), (2000, "2"), (250, "250m"), (0, "0")])
def test_format_millicores(value: int, expected: str) -> None:
    assert quantity.format_millicores(value) == expected


@pytest.mark.parametrize("value", [1, MI - 1, MI, 110 * MI + 7, 2**30, 5 * 10**9])
def test_a_formatted_memory_limit_is_never_below_the_value(value: int) -> None:
    assert quantity.parse_bytes(quantity.format_bytes(value)) >= value
