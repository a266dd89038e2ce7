"""Verifying what a seller advertises (spec, semantics 7).

A ``payable`` claim is *false* when the computed payable for its cart is higher than claimed
(《明码标价和禁止价格欺诈规定》第十九条: among others 第二项, luring with a low price and settling at a
higher one); *favourable* when lower (第二十一条第二项: the consumer gets a bigger discount, which is not
价格欺诈 under 第十九条, but the mismatch is reported); *true* when equal. When the readings of an
ambiguous document give different statuses, the status is ``depends_on_reading``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from tianping.promotion.model import Claim, RuleSet, fen_text, yuan
from tianping.promotion.quote import QuoteResult, quote_cart

ClaimStatus = Literal["true", "false", "favourable", "depends_on_reading"]

LAW = "《明码标价和禁止价格欺诈规定》"


def status_of(computed: int, claimed: int) -> ClaimStatus:
    if computed > claimed:
        return "false"
    if computed < claimed:
        return "favourable"
    return "true"


@dataclass(frozen=True)
class ClaimResult:
    claim: Claim
    quote: QuoteResult
    statuses: tuple[ClaimStatus, ...]  # per reading, in the quote's reading order

    @property
    def status(self) -> ClaimStatus:
        distinct = set(self.statuses)
        return self.statuses[0] if len(distinct) == 1 else "depends_on_reading"

    @property
    def message_zh(self) -> str:
        claimed = yuan(self.claim.payable)
        text = f"“{self.claim.text}”" if self.claim.text else f"宣传 {self.claim.id}"
        payable = self.quote.payable
        if self.status == "depends_on_reading":
            low, high = min(self.quote.payables), max(self.quote.payables)
            return (
                f"{text}：宣传应付 {claimed}，按规则的不同理解实际应付 {yuan(low)} 至 {yuan(high)}，"
                f"是否相符取决于理解；规则应写明 {'、'.join(self.quote.results[0].assignment_map)}，"
                f"以免促销规则使人误解（参见{LAW}第二十条第一款第三项）"
            )
        shown = (
            yuan(payable)
            if payable is not None
            else f"{yuan(min(self.quote.payables))} 至 {yuan(max(self.quote.payables))}"
        )
        if self.status == "false":
            return (
                f"{text}：宣传应付 {claimed}，按规则实际应付 {shown}，高于宣传价；"
                f"涉嫌价格欺诈（{LAW}第十九条，如第二项“以低价诱骗消费者或者其他经营者，以高价进行结算”）"
            )
        if self.status == "favourable":
            return (
                f"{text}：宣传应付 {claimed}，按规则实际应付 {shown}，低于宣传价；"
                f"消费者获得更大价格优惠，依{LAW}第二十一条第二项不属于第十九条规定的价格欺诈，但宣传与实际不一致"
            )
        return f"{text}：宣传应付 {claimed}，按规则实际应付 {shown}，相符"

    def to_json(self) -> dict[str, Any]:
        payable = self.quote.payable
        low_high = self.quote.range
        return {
            "id": self.claim.id,
            "text": self.claim.text,
            "claimed": fen_text(self.claim.payable),
            "status": self.status,
            "computed": None if payable is None else fen_text(payable),
            "range": None if low_high is None else [fen_text(low_high[0]), fen_text(low_high[1])],
            "readings": [
                {"assignment": r.assignment_map, "payable": fen_text(r.outcome.payable), "status": s}
                for r, s in zip(self.quote.results, self.statuses, strict=True)
            ]
            if self.quote.ambiguous_fields
            else [],
            "message_zh": self.message_zh,
        }


def check_claim(rules: RuleSet, claim: Claim) -> ClaimResult:
    quote = quote_cart(rules, claim.cart)
    statuses = tuple(status_of(r.outcome.payable, claim.payable) for r in quote.results)
    return ClaimResult(claim=claim, quote=quote, statuses=statuses)


def check_claims(rules: RuleSet) -> tuple[ClaimResult, ...]:
    return tuple(check_claim(rules, claim) for claim in rules.claims)
