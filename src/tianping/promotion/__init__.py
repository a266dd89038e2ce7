"""Promotion rules (促销规则): format ``tianping-promotions/1`` — quote carts, lint rules, check claims.

See ``docs/promotions.md`` for the format and the output shapes; ``service`` is the façade.
"""

from tianping.promotion.errors import PromotionFormatError, QuoteTooComplex
from tianping.promotion.lint import Finding, LintReport
from tianping.promotion.model import Cart, RuleSet
from tianping.promotion.quote import QuoteResult
from tianping.promotion.service import lint, load_cart, load_rules, quote

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
