"""Money is Decimal, exact to the fen (0.01 yuan); stored as integer fen."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

FEN = Decimal("0.01")


def to_money(value: Decimal | int | str) -> Decimal:
    """Parse a yuan amount exactly; floats are refused because they are not exact."""
    if isinstance(value, float):
        raise TypeError("money must not be a float; pass a str or Decimal")
    try:
        d = Decimal(str(value).strip().replace(",", "").replace("¥", "").replace("￥", ""))
    except InvalidOperation as exc:
        raise ValueError(f"不是有效金额：{value!r}") from exc
    if not d.is_finite():
        raise ValueError(f"不是有效金额：{value!r}")
    try:
        return d.quantize(FEN, rounding=ROUND_HALF_UP)
    except InvalidOperation as exc:  # more digits than the decimal context holds (e.g. 1e+26)
        raise ValueError(f"金额超出范围：{value!r}") from exc


def to_fen(value: Decimal) -> int:
    return int((to_money(value) * 100).to_integral_value())


def from_fen(fen: int) -> Decimal:
    return (Decimal(fen) / 100).quantize(FEN)


def format_yuan(value: Decimal | None) -> str:
    if value is None:
        return ""
    return f"¥{to_money(value):,.2f}"
