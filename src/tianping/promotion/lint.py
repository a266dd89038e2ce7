"""Linting a rules document: ambiguity with checked counterexamples, other defects, and its claims.

Every ``ambiguous_basis`` / ``ambiguous_repeat`` finding carries a concrete cart on which the field's
two readings (every other omitted field at its first reading: ``list``, ``false``) give different
payables. The cart is built from the rule itself — a line in the offer's scope (and in the scope of
an offer applied before it, for ``basis``) priced at its thresholds, so that 标价 reaches a tier that
the amount after the earlier discount does not, or so that 标价 holds the threshold twice — and is
then quoted under both readings; only a cart whose payables really differ is reported. A field that
cannot matter on any cart (no earlier offer can lower its lines; an offer that can match no line) is
reported as ``unspecified_without_effect`` instead, one that could matter but for which no cart was
found as ``ambiguity_unconfirmed``.

Other checks: ``offer_never_applies`` (scope and exclude leave no possible line),
``tiers_unordered``, ``tier_discount_not_increasing``, ``discount_not_below_threshold``,
``cap_below_discount``; for presales (extension) ``presale_terms_hidden`` (no refund term or no
balance window: 第十九条第（六）项) and ``presale_dearer_than_spot`` (定金 + 尾款 above the spot price
for a line of a claim's cart: 第十九条第（五）项).
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from itertools import chain, pairwise, product
from typing import Any

from tianping.promotion.claims import LAW, ClaimResult, check_claims
from tianping.promotion.errors import QuoteTooComplex
from tianping.promotion.model import (
    AmbiguousField,
    AmountOff,
    Cart,
    CartItem,
    NthItemPercent,
    Offer,
    Presale,
    RuleSet,
    ThresholdOff,
    fen_text,
    item_amount,
    item_unit_price,
    reading_text,
    yuan,
)
from tianping.promotion.readings import payable_reading

_ATTRS = ("sku", "shop", "category")
_FRESH = {"sku": "SKU-样例", "shop": "店铺-样例", "category": "品类-样例"}
_MAX_VALUES = 6  # candidate values per attribute when building a line
_MAX_COMBINATIONS = 24  # (sku, shop, category) combinations weighed per line
_MAX_TRIES = 80  # candidate carts per ambiguous field
_NODE_LIMIT = 20_000  # search work per candidate quote (a candidate too complex to quote is skipped)


@dataclass(frozen=True)
class Finding:
    code: str
    ids: tuple[str, ...]
    message_zh: str
    field: str | None = None
    counterexample: Cart | None = None
    readings: tuple[tuple[str, int], ...] | None = None  # reading (as JSON spells it) → payable

    def to_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "ids": list(self.ids),
            "field": self.field,
            "counterexample": None if self.counterexample is None else self.counterexample.to_json(),
            "readings": None if self.readings is None else {k: fen_text(v) for k, v in self.readings},
            "message_zh": self.message_zh,
        }


@dataclass(frozen=True)
class LintReport:
    findings: tuple[Finding, ...]
    claims: tuple[ClaimResult, ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        return {
            "findings": [f.to_json() for f in self.findings],
            "claims": [c.to_json() for c in self.claims],
        }


# ------------------------------------------------------------------------------------------------
# Building lines from scopes


def _scope_values(offer: Offer, attr: str, *, exclude: bool) -> frozenset[str] | None:
    scope = offer.exclude if exclude else offer.scope
    if scope is None:
        return None
    return {"sku": scope.skus, "shop": scope.shops, "category": scope.categories}[attr]


class _LineMaker:
    """Cart lines whose sku/shop/category fall in some offers' scopes and outside most others."""

    def __init__(self, rules: RuleSet) -> None:
        self.offers = rules.offers
        mentioned: dict[str, set[str]] = {a: set() for a in _ATTRS}
        for offer in self.offers:
            for attr in _ATTRS:
                for exclude in (False, True):
                    mentioned[attr] |= _scope_values(offer, attr, exclude=exclude) or set()
        self.fresh = {}
        for attr in _ATTRS:
            value = _FRESH[attr]
            while value in mentioned[attr]:
                value += "-1"
            self.fresh[attr] = value

    def attributes(self, include: Sequence[Offer], avoid: Sequence[Offer]) -> tuple[str, str, str] | None:
        """(sku, shop, category) every offer in ``include`` applies to, applying to few of ``avoid``."""
        choices: list[list[str]] = []
        for attr in _ATTRS:
            allowed: set[str] | None = None
            banned: set[str] = set()
            for offer in include:
                if offer.exclude is not None and offer.exclude.all:
                    return None
                values = _scope_values(offer, attr, exclude=False)
                if values is not None:
                    allowed = set(values) if allowed is None else allowed & values
                banned |= _scope_values(offer, attr, exclude=True) or set()
            if allowed is None:
                # free: a fresh value, or one another offer excludes (to stay out of it)
                dodges: set[str] = set()
                for offer in avoid:
                    dodges |= _scope_values(offer, attr, exclude=True) or set()
                choices.append([self.fresh[attr], *sorted(dodges - banned)[: _MAX_VALUES - 1]])
            else:
                left = sorted(allowed - banned)
                if not left:
                    return None
                choices.append(left[:_MAX_VALUES])
        best: tuple[int, tuple[str, str, str]] | None = None
        for tried, (sku, shop, category) in enumerate(product(*choices)):
            if tried >= _MAX_COMBINATIONS and best is not None:
                break
            item = CartItem(sku=sku, shop=shop, category=category, price=100, qty=1)
            if not all(o.applies_to(item) for o in include):
                continue
            hits = sum(1 for o in avoid if o.applies_to(item))
            if best is None or hits < best[0]:
                best = (hits, (sku, shop, category))
            if hits == 0:
                break
        return None if best is None else best[1]

    def line(self, attrs: tuple[str, str, str], price: int, qty: int = 1) -> CartItem:
        return CartItem(sku=attrs[0], shop=attrs[1], category=attrs[2], price=price, qty=qty)


# ------------------------------------------------------------------------------------------------
# Counterexamples


def _position(rules: RuleSet, offer: Offer) -> tuple[int, int]:
    return (rules.layers.index(offer.layer), 0 if offer.kind == "promotion" else 1)


def _can_lower(offer: Offer) -> bool:
    if isinstance(offer, ThresholdOff):
        return any(t.discount > 0 for t in offer.tiers) and offer.cap != 0
    if isinstance(offer, AmountOff):
        return offer.discount > 0
    if isinstance(offer, NthItemPercent):
        return offer.rate < 1
    if isinstance(offer, Presale):
        return offer.deposit_value > offer.deposit
    return True  # a rate below 1 or a fixed price below a high enough 标价


def _earlier(rules: RuleSet, target: ThresholdOff, maker: _LineMaker) -> list[Offer]:
    """Offers applied before ``target`` that can lower a line ``target`` can take."""
    partners = rules.partners(target.id)
    mine = _position(rules, target)
    return [
        o
        for o in rules.offers
        if o.id != target.id
        and o.id not in partners
        and _position(rules, o) < mine
        and _can_lower(o)
        and maker.attributes([target, o], []) is not None
    ]


def _held(*offers: Offer) -> tuple[str, ...]:
    return tuple(dict.fromkeys(o.id for o in offers if o.kind == "coupon"))


def _repeat_carts(maker: _LineMaker, rules: RuleSet, target: ThresholdOff) -> Iterator[Cart]:
    """Carts whose 标价 holds the threshold several times over (so 满 and 每满 differ)."""
    attrs = maker.attributes([target], [o for o in rules.offers if o.id != target.id])
    if attrs is None:
        return
    threshold = target.tiers[0].threshold
    for times in (2, 3, 5, 10, 30, 100):
        yield Cart(items=(maker.line(attrs, threshold * times),), coupons_held=_held(target))
        yield Cart(items=(maker.line(attrs, threshold, times),), coupons_held=_held(target))


def _after(earlier: Offer, item: CartItem) -> int:
    """Roughly what ``earlier`` alone leaves of a line (exact for item offers)."""
    if isinstance(earlier, ThresholdOff):
        reached = earlier.reached_tier(item.list_amount)
        return item.list_amount - min(reached.discount if reached else 0, item.list_amount)
    return item_amount(earlier, item)


def _basis_carts(maker: _LineMaker, rules: RuleSet, target: ThresholdOff) -> Iterator[Cart]:
    """Carts where 标价 of the target's lines reaches a tier their amount after an earlier offer does not.

    Line A is in the scope of the target and of an earlier offer E; an optional filler line F is in the
    target's scope only (it raises both measures equally); an optional line B is in E's scope only (it
    helps E reach its threshold). Prices come from the thresholds and discounts involved.
    """
    others = [o for o in rules.offers if o.id != target.id]
    thresholds = sorted({t.threshold for t in target.tiers if t.threshold > 0})
    for earlier in _earlier(rules, target, maker):
        rest = [o for o in others if o.id != earlier.id]
        both = maker.attributes([target, earlier], rest)
        assert both is not None
        filler = maker.attributes([target], [earlier, *rest])
        if filler is not None and earlier.applies_to(maker.line(filler, 1)):
            filler = None
        solo = maker.attributes([earlier], [target, *rest])
        if solo is not None and target.applies_to(maker.line(solo, 1)):
            solo = None
        held = _held(earlier, target)
        needs = sorted({t.threshold for t in earlier.tiers}) if isinstance(earlier, ThresholdOff) else [0]
        cuts = sorted({t.discount for t in earlier.tiers}) if isinstance(earlier, ThresholdOff) else []
        if isinstance(earlier, AmountOff):
            cuts = [earlier.discount]
        for threshold in thresholds:
            prices = {threshold, threshold + 1, *(max(threshold, need) for need in needs)}
            prices |= {threshold + cut - 1 for cut in cuts if cut > 1}
            for price in sorted(p for p in prices if p > 0):
                a_line = maker.line(both, price)
                yield Cart(items=(a_line,), coupons_held=held)
                yield Cart(items=(a_line, a_line), coupons_held=held)  # when a rival offer competes
                left = _after(earlier, a_line)
                if filler is not None:
                    for extra in {threshold - price, threshold - left - 1, threshold - left}:
                        if extra > 0:
                            yield Cart(items=(a_line, maker.line(filler, extra)), coupons_held=held)
                if solo is not None:
                    for need in needs:
                        if need > price:
                            b_line = maker.line(solo, need - price)
                            yield Cart(items=(a_line, b_line), coupons_held=held)
                            if filler is not None and threshold - left - 1 > 0:
                                f_line = maker.line(filler, threshold - left - 1)
                                yield Cart(items=(a_line, b_line, f_line), coupons_held=held)


def _mixed_carts(maker: _LineMaker, rules: RuleSet, target: ThresholdOff) -> Iterator[Cart]:
    """A seeded mix of lines in the target's scope (alone and with each other offer's scope), priced
    at the thresholds involved, ±1 fen and large multiples: for interactions the direct shapes miss."""
    others = [o for o in rules.offers if o.id != target.id]
    earlier = _earlier(rules, target, maker)
    templates: list[tuple[str, str, str]] = []
    groups: list[list[Offer]] = [
        [target],
        *([target, o] for o in earlier),
        *([o] for o in earlier),
        *([target, o] for o in others),
    ]
    for group in groups:
        attrs = maker.attributes(group, [o for o in others if o not in group])
        if attrs is not None and attrs not in templates:
            templates.append(attrs)
        if len(templates) >= 12:
            break
    thresholds = {t.threshold for o in rules.offers if isinstance(o, ThresholdOff) for t in o.tiers}
    prices = sorted({p + d for p in thresholds for d in (-1, 0, 1) if p + d > 0} | {1, 99_900, 1_000_000})
    coupons = [c.id for c in rules.coupons]
    rnd = random.Random(f"lint:{target.id}")
    for _ in range(_MAX_TRIES):
        items = tuple(
            maker.line(rnd.choice(templates), rnd.choice(prices), rnd.choice((1, 1, 2)))
            for _ in range(rnd.randint(1, 3))
        )
        held = tuple(c for c in coupons if c == target.id or rnd.random() < 0.5)
        yield Cart(items=items, coupons_held=held)


def _payables(rules: RuleSet, cart: Cart, ambiguous: AmbiguousField) -> tuple[int, int] | None:
    """The payables under the field's two readings; None if a quote needs more work than lint allows."""
    first, second = ambiguous.readings
    try:
        return (
            payable_reading(rules, cart, {ambiguous.name: first}, node_limit=_NODE_LIMIT),
            payable_reading(rules, cart, {ambiguous.name: second}, node_limit=_NODE_LIMIT),
        )
    except QuoteTooComplex:
        return None


def _ambiguity_finding(rules: RuleSet, maker: _LineMaker, ambiguous: AmbiguousField) -> Finding:
    target = rules.offer(ambiguous.offer_id)
    assert isinstance(target, ThresholdOff)
    who = f"{target.label}（{target.id}）"
    if maker.attributes([target], []) is None:
        return Finding(
            code="unspecified_without_effect",
            ids=(target.id,),
            field=ambiguous.name,
            message_zh=f"{who}未写明 {ambiguous.field}，但它不适用于任何商品，两种理解没有区别",
        )
    if ambiguous.field == "basis":
        if not _earlier(rules, target, maker):
            return Finding(
                code="unspecified_without_effect",
                ids=(target.id,),
                field=ambiguous.name,
                message_zh=(
                    f"{who}未写明门槛按标价还是按此前优惠后的金额计算（basis），但在它之前没有能降低其商品金额的优惠，"
                    "两种理解在任何购物车上结果相同；仍建议写明"
                ),
            )
        carts = chain(_basis_carts(maker, rules, target), _mixed_carts(maker, rules, target))
        words = ("按标价计算门槛", "按此前优惠后的金额计算门槛")
        what = "门槛按标价还是按此前优惠后的金额计算（basis）"
    else:
        carts = chain(_repeat_carts(maker, rules, target), _mixed_carts(maker, rules, target))
        words = ("按“满”只减一次", "按“每满”累计减")
        what = "是“满”还是“每满”（repeat）"
    seen: set[Cart] = set()
    for cart in carts:
        if cart in seen:
            continue
        seen.add(cart)
        if len(seen) > 2 * _MAX_TRIES:
            break
        payables = _payables(rules, cart, ambiguous)
        if payables is not None and payables[0] != payables[1]:
            first, second = payables
            keys = tuple(reading_text(v) for v in ambiguous.readings)
            lines = "、".join(f"{i.sku}（{i.shop}，{yuan(i.price)}×{i.qty}）" for i in cart.items)
            held = f"，持券 {'、'.join(cart.coupons_held)}" if cart.coupons_held else ""
            return Finding(
                code=ambiguous.code,
                ids=(target.id,),
                field=ambiguous.name,
                counterexample=cart,
                readings=((keys[0], first), (keys[1], second)),
                message_zh=(
                    f"{who}未写明{what}。反例：购物车 {lines}{held}，{words[0]}应付 {yuan(first)}，"
                    f"{words[1]}应付 {yuan(second)}。请写明 {ambiguous.field}；促销规则不明确可能使消费者误解"
                    f"（参见{LAW}第二十条第一款第三项）"
                ),
            )
    return Finding(
        code="ambiguity_unconfirmed",
        ids=(target.id,),
        field=ambiguous.name,
        message_zh=f"{who}未写明{what}；未能构造出两种理解结果不同的购物车，仍建议写明",
    )


# ------------------------------------------------------------------------------------------------
# Other checks


def _offer_findings(maker: _LineMaker, offer: Offer) -> Iterator[Finding]:
    who = f"{offer.label}（{offer.id}）"
    if maker.attributes([offer], []) is None:
        yield Finding("offer_never_applies", (offer.id,), f"{who}的范围与排除范围相互抵消，不适用于任何商品")
    if not isinstance(offer, ThresholdOff):
        return
    thresholds = [t.threshold for t in offer.tiers]
    if thresholds != sorted(thresholds):
        yield Finding(
            "tiers_unordered",
            (offer.id,),
            f"{who}的档位未按门槛从低到高排列，容易误读（计算按最高达到的档位）",
        )
    ordered = sorted(offer.tiers, key=lambda t: t.threshold)
    for lower, higher in pairwise(ordered):
        if higher.discount <= lower.discount:
            yield Finding(
                "tier_discount_not_increasing",
                (offer.id,),
                f"{who}：满 {yuan(higher.threshold)} 减 {yuan(higher.discount)} 不多于"
                f"满 {yuan(lower.threshold)} 减 {yuan(lower.discount)}，消费更多反而减得不多于低档",
            )
    for tier in offer.tiers:
        if 0 < tier.threshold <= tier.discount:
            yield Finding(
                "discount_not_below_threshold",
                (offer.id,),
                f"{who}：满 {yuan(tier.threshold)} 减 {yuan(tier.discount)}，减免不低于门槛，疑似录入错误",
            )
    if offer.repeat and offer.cap is not None and offer.cap < offer.tiers[0].discount:
        yield Finding(
            "cap_below_discount",
            (offer.id,),
            f"{who}：封顶 {yuan(offer.cap)} 低于每满一次的减免 {yuan(offer.tiers[0].discount)}，"
            "连一次都减不足",
        )


ARTICLE_19_5 = "第十九条第（五）项“无正当理由拒绝履行或者不完全履行价格承诺”"
ARTICLE_19_6 = (
    "第十九条第（六）项“不标示或者显著弱化标示对消费者或者其他经营者不利的价格条件，"
    "诱骗消费者或者其他经营者与其进行交易”"
)


def _presale_findings(rules: RuleSet, offer: Presale) -> Iterator[Finding]:
    """Terms a presale leaves out, and a claim's line on which 定金 + 尾款 exceeds the spot price."""
    who = f"{offer.label}（{offer.id}）"
    hidden = []
    if offer.deposit_refundable is None:
        hidden.append("未付尾款时定金是否退还（deposit_refundable）")
    if offer.balance_start is None or offer.balance_end is None:
        hidden.append("尾款支付时间（balance_start、balance_end）")
    if hidden:
        yield Finding(
            "presale_terms_hidden",
            (offer.id,),
            f"{who}：预售规则未标示{'、'.join(hidden)}。不退定金或错过尾款期限是对消费者不利的价格条件，"
            f"未标示可能构成{LAW}{ARTICLE_19_6}",
        )
    if offer.spot_price is None:
        return
    for claim in rules.claims:
        for index, item in enumerate(claim.cart.items):
            if not offer.applies_to(item):
                continue
            total = item_unit_price(offer, item.price)
            balance = offer.balance(item.price)
            if total > offer.spot_price:
                yield Finding(
                    "presale_dearer_than_spot",
                    (offer.id,),
                    f"{who}：宣传 {claim.id} 第{index + 1}行 {item.sku} 标价 {yuan(item.price)}，"
                    f"预售定金 {yuan(offer.deposit)} + 尾款 {yuan(balance)} = {yuan(total)}，"
                    f"高于同期现货价 {yuan(offer.spot_price)}。定金膨胀以参加预售更优惠为承诺，"
                    f"实际更贵可能构成{LAW}{ARTICLE_19_5}",
                )
                return


def lint_rules(rules: RuleSet) -> LintReport:
    maker = _LineMaker(rules)
    findings = [_ambiguity_finding(rules, maker, a) for a in rules.ambiguous_fields]
    for offer in rules.offers:
        findings.extend(_offer_findings(maker, offer))
        if isinstance(offer, Presale):
            findings.extend(_presale_findings(rules, offer))
    return LintReport(findings=tuple(findings), claims=check_claims(rules))
