"""Errors of the promotion-rules format: one offending field, named by its path, and the reason."""

from __future__ import annotations

from tianping.core.errors import FieldError, ValidationFailed


class PromotionFormatError(ValidationFailed):
    """A rules or cart document breaks format ``tianping-promotions/1``.

    ``path`` names the offending field the way the document spells it (``promotions[0].tiers[1].discount``;
    empty for a whole-document problem such as a syntax error); ``reason`` says what is wrong, in zh-CN.
    The HTTP layer shows it as a field-level 422; the CLI prints ``str(e)`` on one line and exits 2.
    """

    code = "promotion_format"

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        text = f"{path}: {reason}" if path else reason
        super().__init__(text, errors=[FieldError(field=path or "document", message=reason)])

    def __str__(self) -> str:
        return self.message


class QuoteTooComplex(ValidationFailed):
    """The exact search for the best combination exceeded its work limit (a pathological cart)."""

    code = "promotion_too_complex"
