"""Name normalisation and the character n-grams of the fuzzy-name index (pure functions).

A name is normalised with NFKC (full-width letters, digits and brackets become half-width), lower-cased,
and stripped of everything that is not a letter or a digit (punctuation, brackets, spaces), so
``"示例外卖平台（北京）科技有限公司"`` and ``"示例外卖平台(北京)科技有限公司"`` index identically.

The grams of a normalised text are its bigrams (characters *i*, *i+1*) and skip-bigrams (characters
*i*, *i+2*) in one code space. A single substituted character destroys at most four of them, and a
missing or extra character turns a skip-bigram into a bigram (or back), which still matches because both
share the code space. A gram's code is ``ord(a) << 21 | ord(b)``: unique, no dictionary table, below
2**42, so it fits a BIGINT on every database.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from itertools import pairwise

__all__ = [
    "LEGAL_FORMS",
    "PLACE_PREFIXES",
    "doc_grams",
    "gram_code",
    "gram_codes",
    "index_text",
    "normalize_name",
]

_SHIFT = 21  # every code point is below 2**21

# Trailing legal-form words and leading place names carry no identity but would be a third of every
# name's grams (and the longest posting lists); they are left out of the index, for names and queries
# alike (the re-scoring still compares whole names). Longest first.
LEGAL_FORMS = (
    "股份有限公司",
    "有限责任公司",
    "个人独资企业",
    "普通合伙企业",
    "有限合伙企业",
    "有限公司",
    "合伙企业",
    "分公司",
    "公司",
)


def normalize_name(text: str) -> str:
    """NFKC, lower-case, letters and digits only."""
    return "".join(filter(str.isalnum, unicodedata.normalize("NFKC", text).lower()))


def gram_code(a: str, b: str) -> int:
    return ord(a) << _SHIFT | ord(b)


def _place_prefixes() -> tuple[str, ...]:
    from tianping.core import divisions

    names = {"北京市", "北京"} | {d.name for d in divisions.districts()}
    return tuple(sorted(names, key=len, reverse=True))


PLACE_PREFIXES = _place_prefixes()
_FORM_RE = re.compile("(?:" + "|".join(LEGAL_FORMS) + ")$")
_PLACE_RE = re.compile("^(?:" + "|".join(PLACE_PREFIXES) + ")")


def index_text(normalized: str) -> str:
    """The part of a normalised name that is indexed: without a trailing legal form and without a
    leading place name (北京, 海淀区…), as long as two characters remain.
    """
    text = normalized
    form = _FORM_RE.search(text)
    if form is not None and form.start() >= 2:
        text = text[: form.start()]
    place = _PLACE_RE.match(text)
    if place is not None and len(text) - place.end() >= 2:
        text = text[place.end() :]
    return text


def gram_codes(normalized: str) -> set[int]:
    """Codes of the bigrams and skip-bigrams of an already normalised text (legal form excluded)."""
    points = [ord(ch) for ch in index_text(normalized)]
    codes = {a << _SHIFT | b for a, b in pairwise(points)}
    codes.update(a << _SHIFT | b for a, b in zip(points, points[2:], strict=False))
    return codes


def doc_grams(normalized_texts: Iterable[str]) -> set[int]:
    """The grams of an entity: the union over its normalised name and aliases."""
    codes: set[int] = set()
    for text in normalized_texts:
        codes |= gram_codes(text)
    return codes
