"""The promotion-rules façade: load documents, quote a cart, lint rules. Pure functions, no database.

    rules = load_rules(text)          # JSON or YAML (str/bytes) or a parsed mapping
    cart = load_cart(text)
    quote(rules, cart).to_json()      # payable, readings, lines, steps, explanation_zh
    lint(rules).to_json()             # findings with counterexamples, claims
    check_checkouts(rules, observations).to_json()   # observed charges that differ from the rules

Invalid documents raise ``PromotionFormatError`` (a ``ValidationFailed``) naming the field's path.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from tianping.promotion.checkouts import DiffReport
from tianping.promotion.checkouts import check_checkouts as _check_checkouts
from tianping.promotion.document import load_cart as _load_cart
from tianping.promotion.document import load_checkouts as _load_checkouts
from tianping.promotion.document import load_rules as _load_rules
from tianping.promotion.errors import PromotionFormatError, QuoteTooComplex
from tianping.promotion.lint import Finding, LintReport, lint_rules
from tianping.promotion.model import Cart, Checkout, RuleSet
from tianping.promotion.quote import QuoteResult, quote_cart

__all__ = [
    "Cart",
    "Checkout",
    "DiffReport",
    "Finding",
    "LintReport",
    "PromotionFormatError",
    "QuoteResult",
    "QuoteTooComplex",
    "RuleSet",
    "check_checkouts",
    "lint",
    "load_cart",
    "load_checkouts",
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


def load_checkouts(data: str | bytes | Mapping[str, Any] | list[Any], rules: RuleSet) -> tuple[Checkout, ...]:
    """Observed checkouts ``{"checkouts": [{"id", "cart", "charged"}]}``, validated against ``rules``."""
    return _load_checkouts(data, rules)


def check_checkouts(
    rules: RuleSet, observations: Sequence[Checkout] | str | bytes | Mapping[str, Any] | list[Any]
) -> DiffReport:
    """Every observed checkout whose charge differs from what the published rules give (extension).

    ``observations`` are loaded ``Checkout`` values or the raw document / list of
    ``{"id", "cart", "charged"}`` (validated first: ``PromotionFormatError`` names the field).
    """
    if isinstance(observations, str | bytes | Mapping):
        checkouts = _load_checkouts(observations, rules)
    else:
        entries = list(observations)
        if all(isinstance(o, Checkout) for o in entries):
            checkouts = tuple(entries)
        else:
            checkouts = _load_checkouts(entries, rules)
    return _check_checkouts(rules, checkouts)
