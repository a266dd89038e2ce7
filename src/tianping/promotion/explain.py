"""Plain-Chinese, step-by-step explanations of a quote (one line per step, ending with 应付)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from fractions import Fraction

from tianping.promotion.engine import Outcome, Step
from tianping.promotion.model import (
    AmountOff,
    CartItem,
    FixedPrice,
    NthItemPercent,
    PercentOff,
    Presale,
    ReadingValue,
    ThresholdOff,
    item_unit_price,
    yuan,
)

READING_ZH: dict[tuple[str, ReadingValue], str] = {
    ("basis", "list"): "门槛按标价计算",
    ("basis", "current"): "门槛按此前优惠后的金额计算",
    ("repeat", False): "满减只减一次（满）",
    ("repeat", True): "每满减、可累计（每满）",
}


def reading_zh(name: str, value: ReadingValue) -> str:
    """``P1.basis = list`` in words: ``P1 门槛按标价计算``."""
    offer_id, _, field = name.rpartition(".")
    return f"{offer_id} {READING_ZH[(field, value)]}"


def _rows(indexes: Sequence[int]) -> str:
    return "第" + "、".join(str(i + 1) for i in indexes) + "行"


def _rate(rate: Fraction) -> str:
    return f"{Decimal(rate.numerator) / rate.denominator:f}"


def describe_step(step: Step, items: Sequence[CartItem]) -> str:
    offer = step.offer
    name = f"{offer.title}（{offer.id}）" if offer.title else offer.id
    who = f"用券 {name}" if offer.kind == "coupon" else name
    if isinstance(offer, ThresholdOff):
        if offer.limit_per_user is not None:
            who += f"（每人限 {offer.limit_per_user} 次）"
        basis = "标价" if offer.basis == "list" else "当前金额"
        rows = _rows([line.index for line in step.lines])
        if offer.repeat:
            tier = offer.tiers[0]
            text = (
                f"{who}：{rows}按{basis}合计 {yuan(step.base)}，每满 {yuan(tier.threshold)} 减 "
                f"{yuan(tier.discount)}，共 {step.times} 个，减 {yuan(step.times * tier.discount)}"
            )
            if step.capped and offer.cap is not None:
                text += f"，封顶 {yuan(offer.cap)}"
        else:
            assert step.tier is not None
            tier = step.tier
            reached = f"{yuan(step.base)} ≥ {yuan(tier.threshold)}"
            text = f"{who}：{rows}按{basis}合计 {reached}，减 {yuan(tier.discount)}"
        if step.limited:
            limit = yuan(sum(line.before for line in step.lines))
            text += f"，以参与商品当前金额 {limit} 为限，实减 {yuan(step.discount)}"
        if len(step.lines) > 1:
            shares = "、".join(f"第{line.index + 1}行 {yuan(line.share)}" for line in step.lines)
            text += f"（分摊：{shares}）"
        return text
    parts = []
    per_user = f"（每人限 {offer.limit_per_user} 件）" if offer.limit_per_user is not None else ""
    for line in step.lines:
        item = items[line.index]
        unit = item_unit_price(offer, item.price)
        if isinstance(offer, PercentOff):
            how = f"单价 {yuan(item.price)} × {_rate(offer.rate)} = {yuan(unit)}{per_user}"
        elif isinstance(offer, AmountOff):
            how = f"单价 {yuan(item.price)} 直降 {yuan(offer.discount)} = {yuan(unit)}{per_user}"
        elif isinstance(offer, FixedPrice):
            limit = f"（限 {offer.limit} 件）" if offer.limit is not None else ""
            how = f"单价 {yuan(item.price)} → {yuan(unit)}{limit}{per_user}"
        elif isinstance(offer, NthItemPercent):
            how = (
                f"每第 {offer.nth} 件单价 {yuan(item.price)} × {_rate(offer.rate)} = {yuan(unit)}"
                f"（{item.qty} 件中 {line.units} 件按此价）{per_user}"
            )
        else:
            assert isinstance(offer, Presale)
            how = (
                f"预售：定金 {yuan(offer.deposit)} + 尾款 {yuan(offer.balance(item.price))}"
                f"（标价 {yuan(item.price)} − 定金抵 {yuan(offer.deposit_value)}）= {yuan(unit)}{per_user}"
            )
            if offer.spot_price is not None and unit > offer.spot_price:
                how += f"，高于同期现货价 {yuan(offer.spot_price)}"
        parts.append(f"第{line.index + 1}行 {item.sku} {how}，{line.units} 件减 {yuan(line.share)}")
    return f"{who}：" + "；".join(parts)


def explain_outcome(outcome: Outcome, items: Sequence[CartItem]) -> list[str]:
    units = sum(item.qty for item in items)
    out = [f"标价合计 {yuan(outcome.list_total)}（{len(items)} 行，共 {units} 件）"]
    if not outcome.steps:
        out.append("没有可用的优惠")
    for number, step in enumerate(outcome.steps, start=1):
        out.append(f"{number}. {describe_step(step, items)}")
    return out


def explain_quote(
    items: Sequence[CartItem],
    results: Sequence[tuple[Mapping[str, ReadingValue], Outcome]],
    ambiguous_fields: Sequence[str],
) -> str:
    """The whole explanation: one reading (or all of them when they disagree), ending with 应付."""
    payables = {outcome.payable for _, outcome in results}
    if len(payables) == 1:
        _, outcome = results[0]
        lines = explain_outcome(outcome, items)
        if ambiguous_fields:
            lines.append(
                f"注：规则未写明 {'、'.join(ambiguous_fields)}，"
                "但各种理解在这个购物车上应付相同（以上按第一种理解）"
            )
        lines.append(f"应付 {yuan(outcome.payable)}")
        return "\n".join(lines)
    open_here = list(results[0][0])
    lines = [f"规则未写明 {'、'.join(open_here)}，不同理解下应付不同："]
    for number, (assignment, outcome) in enumerate(results, start=1):
        said = "；".join(reading_zh(name, value) for name, value in assignment.items())
        lines.append(f"【理解 {number}：{said}】")
        lines += explain_outcome(outcome, items)
        lines.append(f"本理解应付 {yuan(outcome.payable)}")
    low, high = min(payables), max(payables)
    lines.append(f"应付 {yuan(low)} 至 {yuan(high)}（取决于对规则的理解）")
    return "\n".join(lines)
