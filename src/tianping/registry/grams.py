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

import unicodedata
from collections.abc import Iterable

__all__ = ["doc_grams", "gram_code", "gram_codes", "normalize_name"]

_SHIFT = 21  # every code point is below 2**21


def normalize_name(text: str) -> str:
    """NFKC, lower-case, letters and digits only."""
    return "".join(filter(str.isalnum, unicodedata.normalize("NFKC", text).lower()))


def gram_code(a: str, b: str) -> int:
    return ord(a) << _SHIFT | ord(b)


def gram_codes(normalized: str) -> set[int]:
    """Codes of the bigrams and skip-bigrams of an already normalised text."""
    points = [ord(ch) for ch in normalized]
    codes = {a << _SHIFT | b for a, b in zip(points, points[1:], strict=False)}
    codes.update(a << _SHIFT | b for a, b in zip(points, points[2:], strict=False))
    return codes


def doc_grams(normalized_texts: Iterable[str]) -> set[int]:
    """The grams of an entity: the union over its normalised name and aliases."""
    codes: set[int] = set()
    for text in normalized_texts:
        codes |= gram_codes(text)
    return codes
