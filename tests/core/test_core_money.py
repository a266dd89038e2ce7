"""Money parsing: exact to the fen, user mistakes are ValueErrors (field errors upstream), never crashes."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tianping.core.money import format_yuan, from_fen, to_fen, to_money


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12.345", Decimal("12.35")),
        ("¥1,299", Decimal("1299.00")),
        ("0", Decimal("0.00")),
        (7, Decimal("7.00")),
    ],
)
def test_amounts_are_parsed_exactly_to_the_fen(text: str | int, expected: Decimal) -> None:
    assert to_money(text) == expected
    assert from_fen(to_fen(expected)) == expected


@pytest.mark.parametrize("text", ["abc", "NaN", "Infinity", "1e+26", "-1e+40", ""])
def test_bad_or_out_of_range_amounts_are_value_errors(text: str) -> None:
    with pytest.raises(ValueError):
        to_money(text)


def test_floats_are_refused() -> None:
    with pytest.raises(TypeError):
        to_money(1.1)  # type: ignore[arg-type]


def test_format_yuan() -> None:
    assert format_yuan(Decimal("1234.5")) == "¥1,234.50" and format_yuan(None) == ""
