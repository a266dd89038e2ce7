"""Quoting a cart: every reading that can matter, the consumer's best combination under each, and
the result in the spec's output shape (``QuoteResult.to_json``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tianping.promotion.document import check_held_coupons
from tianping.promotion.engine import Outcome, Step
from tianping.promotion.explain import explain_quote
from tianping.promotion.model import Cart, ReadingValue, RuleSet, fen_text
from tianping.promotion.readings import cart_fields, quote_reading, readings


@dataclass(frozen=True)
class ReadingResult:
    assignment: tuple[tuple[str, ReadingValue], ...]  # the fields that can matter on this cart
    outcome: Outcome

    @property
    def assignment_map(self) -> dict[str, ReadingValue]:
        return dict(self.assignment)


@dataclass(frozen=True)
class QuoteResult:
    cart: Cart
    ambiguous_fields: tuple[str, ...]  # every ambiguous field of the document
    results: tuple[ReadingResult, ...]  # one per reading that can matter here (at least one)
    explanation_zh: str

    @property
    def first(self) -> Outcome:
        return self.results[0].outcome

    @property
    def payables(self) -> tuple[int, ...]:
        return tuple(r.outcome.payable for r in self.results)

    @property
    def ambiguous(self) -> bool:
        return len(set(self.payables)) > 1

    @property
    def payable(self) -> int | None:
        return None if self.ambiguous else self.first.payable

    @property
    def range(self) -> tuple[int, int] | None:
        return (min(self.payables), max(self.payables)) if self.ambiguous else None

    def _lines_json(self, outcome: Outcome) -> list[dict[str, Any]]:
        return [
            {
                "index": i,
                "sku": item.sku,
                "shop": item.shop,
                "qty": item.qty,
                "list_amount": fen_text(item.list_amount),
                "amount": fen_text(outcome.amounts[i]),
            }
            for i, item in enumerate(self.cart.items)
        ]

    def _steps_json(self, steps: tuple[Step, ...]) -> list[dict[str, Any]]:
        return [
            {
                "id": step.offer.id,
                "title": step.offer.title,
                "layer": step.offer.layer,
                "kind": step.offer.kind,
                "discount": fen_text(step.discount),
                "lines": [
                    {
                        "index": line.index,
                        "sku": self.cart.items[line.index].sku,
                        "share": fen_text(line.share),
                    }
                    for line in step.lines
                ],
            }
            for step in steps
        ]

    def to_json(self) -> dict[str, Any]:
        """The spec's quote shape; see docs/promotions.md for every field."""
        outcomes = [r.outcome for r in self.results]
        if self.ambiguous:
            lines: Any = [self._lines_json(o) for o in outcomes]
            steps: Any = [self._steps_json(o.steps) for o in outcomes]
        else:
            lines = self._lines_json(self.first)
            steps = self._steps_json(self.first.steps)
        low_high = self.range
        return {
            "payable": None if self.payable is None else fen_text(self.payable),
            "ambiguous": self.ambiguous,
            "range": None if low_high is None else [fen_text(low_high[0]), fen_text(low_high[1])],
            "ambiguous_fields": list(self.ambiguous_fields),
            "readings": [
                {"assignment": r.assignment_map, "payable": fen_text(r.outcome.payable)} for r in self.results
            ]
            if self.ambiguous_fields
            else [],
            "list_total": fen_text(self.first.list_total),
            "lines": lines,
            "steps": steps,
            "explanation_zh": self.explanation_zh,
        }


def quote_cart(rules: RuleSet, cart: Cart) -> QuoteResult:
    """Quote ``cart`` under every reading that can matter (spec, semantics 5)."""
    check_held_coupons(cart, {c.id for c in rules.coupons}, {o.id: o for o in rules.offers})
    fields = cart_fields(rules, cart)
    results = tuple(
        ReadingResult(assignment=tuple(reading.items()), outcome=quote_reading(rules, cart, reading))
        for reading in readings(fields)
    )
    names = tuple(f.name for f in rules.ambiguous_fields)
    explanation = explain_quote(cart.items, [(r.assignment_map, r.outcome) for r in results], names)
    return QuoteResult(cart=cart, ambiguous_fields=names, results=results, explanation_zh=explanation)
