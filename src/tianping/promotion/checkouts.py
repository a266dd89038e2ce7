"""Differential check against reality (extension): observed checkouts versus the published rules.

An observation is a cart and the payable a platform actually charged for it. Every checkout is quoted
under the published rules (every reading that can matter on its cart, as ``quote`` does); per reading
the charge is ``match`` (equal), ``overcharged`` (多收: charged more) or ``undercharged`` (少收: charged
less). When the readings agree on that status it is the checkout's status, otherwise the status is
``depends_on_reading`` (e.g. a charge inside the range the readings give). Each checkout whose status
is not ``match`` is reported with the difference in yuan and the explanation of the computed amount.

Citations (《明码标价和禁止价格欺诈规定》, read in research/data/laws-lawrefbook): any mismatch — the
rules published are not the rules applied — 第二十条第一款第（二）项; charged more, in addition,
第十九条第（二）项 (settling at a higher price than the one the published rules promise) and, when the
computed amount uses a held coupon, 第十九条第（七）项; charged less, 第二十一条第（二）项 (not 价格欺诈
under 第十九条, the consumer got a bigger discount); readings that disagree, 第二十条第一款第（三）项.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any, Literal

from tianping.promotion.claims import LAW
from tianping.promotion.errors import QuoteTooComplex
from tianping.promotion.model import Checkout, RuleSet, fen_text, yuan
from tianping.promotion.quote import QuoteResult, quote_cart

CheckStatus = Literal["match", "overcharged", "undercharged", "depends_on_reading", "too_complex"]
STATUSES: tuple[CheckStatus, ...] = (
    "match",
    "overcharged",
    "undercharged",
    "depends_on_reading",
    "too_complex",
)
STATUS_ZH: dict[CheckStatus, str] = {
    "match": "相符",
    "overcharged": "多收",
    "undercharged": "少收",
    "depends_on_reading": "取决于规则理解",
    "too_complex": "无法计算",
}

ART_20_1_2 = "第二十条第一款第（二）项“公布的促销活动范围、规则与实际促销活动范围、规则不一致”"
ART_20_1_3 = "第二十条第一款第（三）项“其他虚假的或者使人误解的价格标示和价格促销行为”"
ART_19_2 = "第十九条第（二）项“以低价诱骗消费者或者其他经营者，以高价进行结算”"
ART_19_7 = "第十九条第（七）项“通过积分、礼券、兑换券、代金券等折抵价款时，拒不按约定折抵价款”"
ART_21_2 = "第二十一条第（二）项"


def status_of(computed: int, charged: int) -> CheckStatus:
    if charged > computed:
        return "overcharged"
    if charged < computed:
        return "undercharged"
    return "match"


@dataclass(frozen=True)
class CheckoutResult:
    checkout: Checkout
    quote: QuoteResult | None  # None when the quote was too complex
    statuses: tuple[CheckStatus, ...]  # per reading, in the quote's reading order
    problem: str = ""  # why the quote could not be computed

    @property
    def status(self) -> CheckStatus:
        if self.quote is None:
            return "too_complex"
        return self.statuses[0] if len(set(self.statuses)) == 1 else "depends_on_reading"

    @property
    def difference(self) -> int | None:
        """How much more (overcharged) or less (undercharged) was charged under every reading, in fen."""
        if self.quote is None or self.status in ("depends_on_reading", "too_complex"):
            return None
        return min(abs(self.checkout.charged - p) for p in self.quote.payables)

    @property
    def message_zh(self) -> str:
        charged = yuan(self.checkout.charged)
        head = f"{self.checkout.id}：实收 {charged}"
        if self.quote is None:
            return f"{head}，{self.problem}"
        quote = self.quote
        low, high = min(quote.payables), max(quote.payables)
        computed = yuan(low) if low == high else f"{yuan(low)} 至 {yuan(high)}"
        head += f"，按公布的规则应付 {computed}"
        status = self.status
        if status == "match":
            return f"{head}，相符"
        if status == "depends_on_reading":
            fields = "、".join(quote.results[0].assignment_map)
            return (
                f"{head}，是否相符取决于对规则的理解；规则应写明 {fields}，"
                f"以免促销规则使人误解（参见{LAW}{ART_20_1_3}）"
            )
        difference = self.difference
        assert difference is not None
        if status == "overcharged":
            text = (
                f"{head}，多收 {yuan(difference)}。实际执行的促销规则与公布的不一致（{LAW}{ART_20_1_2}）；"
                f"以公布规则的较低价格招徕、以较高价格结算，涉嫌{ART_19_2}"
            )
            coupons = sorted({s.offer.id for s in quote.first.steps if s.offer.kind == "coupon"})
            if coupons:
                text += f"；按规则应使用券 {'、'.join(coupons)} 折抵，亦可能涉及{ART_19_7}"
            return text
        return (
            f"{head}，少收 {yuan(difference)}。实际执行的促销规则与公布的不一致（{LAW}{ART_20_1_2}）；"
            f"消费者获得更大价格优惠，依{ART_21_2}不属于第十九条规定的价格欺诈"
        )

    def to_json(self) -> dict[str, Any]:
        quote = self.quote
        difference = self.difference
        data: dict[str, Any] = {
            "id": self.checkout.id,
            "status": self.status,
            "status_zh": STATUS_ZH[self.status],
            "charged": fen_text(self.checkout.charged),
            "computed": None if quote is None or quote.payable is None else fen_text(quote.payable),
            "range": None
            if quote is None or quote.range is None
            else [fen_text(quote.range[0]), fen_text(quote.range[1])],
            "difference": None if difference is None else fen_text(difference),
            "readings": [],
            "message_zh": self.message_zh,
            "explanation_zh": None if quote is None else quote.explanation_zh,
        }
        if quote is not None and quote.ambiguous_fields:
            data["readings"] = [
                {
                    "assignment": r.assignment_map,
                    "payable": fen_text(r.outcome.payable),
                    "status": s,
                    "difference": fen_text(abs(self.checkout.charged - r.outcome.payable)),
                }
                for r, s in zip(quote.results, self.statuses, strict=True)
            ]
        return data


@dataclass(frozen=True)
class DiffReport:
    results: tuple[CheckoutResult, ...]  # every checkout, in document order

    @property
    def mismatches(self) -> tuple[CheckoutResult, ...]:
        return tuple(r for r in self.results if r.status != "match")

    @property
    def summary(self) -> dict[CheckStatus, int]:
        counts = Counter(r.status for r in self.results)
        return {status: counts.get(status, 0) for status in STATUSES}

    def to_json(self) -> dict[str, Any]:
        return {
            "checked": len(self.results),
            "summary": self.summary,
            "mismatches": [r.to_json() for r in self.mismatches],
        }


def check_checkout(rules: RuleSet, checkout: Checkout) -> CheckoutResult:
    try:
        quote = quote_cart(rules, checkout.cart)
    except QuoteTooComplex as exc:
        return CheckoutResult(checkout=checkout, quote=None, statuses=(), problem=exc.message)
    statuses = tuple(status_of(p, checkout.charged) for p in quote.payables)
    return CheckoutResult(checkout=checkout, quote=quote, statuses=statuses)


def check_checkouts(rules: RuleSet, checkouts: tuple[Checkout, ...]) -> DiffReport:
    return DiffReport(results=tuple(check_checkout(rules, c) for c in checkouts))
