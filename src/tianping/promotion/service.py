"""The promotion-rules façade: load documents, quote a cart, lint rules. Pure functions, no database.

    rules = load_rules(text)          # JSON or YAML (str/bytes) or a parsed mapping
    cart = load_cart(text)
    quote(rules, cart).to_json()      # payable, readings, lines, steps, explanation_zh
    lint(rules).to_json()             # findings with counterexamples, claims

Invalid documents raise ``PromotionFormatError`` (a ``ValidationFailed``) naming the field's path.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tianping.promotion.document import load_cart as _load_cart
from tianping.promotion.document import load_rules as _load_rules
from tianping.promotion.errors import PromotionFormatError, QuoteTooComplex
from tianping.promotion.lint import Finding, LintReport, lint_rules
from tianping.promotion.model import Cart, RuleSet
from tianping.promotion.quote import QuoteResult, quote_cart

__all__ = [
    "Cart",
    "Finding",
    "LintReport",
    "PromotionFormatError",
    "QuoteResult",
    "QuoteTooComplex",
    "RuleSet",
    "lint",
    "load_cart",
    "load_rules",
    "quote",
]


def load_rules(data: str | bytes | Mapping[str, Any]) -> RuleSet:
    """A rules document (format ``tianping-promotions/1``), validated; YAML read with a safe loader."""
    return _load_rules(data)


def load_cart(data: str | bytes | Mapping[str, Any]) -> Cart:
    """A cart document (``items`` and ``coupons_held``), validated."""
    return _load_cart(data)


def quote(rules: RuleSet, cart: Cart) -> QuoteResult:
    """The payable amount under the consumer's best legal combination, for every reading that matters."""
    return quote_cart(rules, cart)


def lint(rules: RuleSet) -> LintReport:
    """Ambiguities with checked counterexamples, other defects, and the verdict on each claim."""
    return lint_rules(rules)
