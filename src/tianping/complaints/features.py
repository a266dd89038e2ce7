"""Text normalisation and the character n-gram TF-IDF vectoriser of the triage classifier.

Pure numpy/scipy: the same code builds the training matrix and the inference matrix, so a model
saved as plain arrays behaves identically after loading (no pickled sklearn objects).

* normalisation: NFKC (full-width letters and digits become half-width), lower case, every run of
  digits becomes ``0`` (order numbers, amounts and dates say little about the category);
* grams: character 1..3-grams inside each run of word characters — punctuation and whitespace
  split runs, so no gram spans or contains them;
* weights: sublinear term frequency ``1 + ln(tf)`` times smoothed idf ``ln((1+n)/(1+df)) + 1``,
  each row L2-normalised (the conventional TF-IDF).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from scipy import sparse

__all__ = ["NgramVectorizer", "grams", "normalize_text", "readable_gram"]

_DIGITS = re.compile(r"\d+")
_SPLIT = re.compile(r"[\W_]+")


def normalize_text(text: str) -> str:
    """NFKC, lower case, digit runs folded to ``0``, whitespace collapsed to single spaces."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = _DIGITS.sub("0", text)
    return " ".join(text.split())


def _segments(normalized: str) -> list[str]:
    return [s for s in _SPLIT.split(normalized) if s]


def grams(text: str, *, max_n: int = 3) -> list[str]:
    """Character 1..max_n-grams of an already normalised text, within runs of word characters."""
    out: list[str] = []
    for seg in _segments(text):
        length = len(seg)
        out += seg
        for n in range(2, min(max_n, length) + 1):
            out += [seg[i : i + n] for i in range(length - n + 1)]
    return out


MAX_N = 3  # three 21-bit code points fill a 63-bit key
_BITS = 21


def gram_key(gram: str) -> int:
    """A gram of up to three characters as one integer (unique: code points are never 0)."""
    key = 0
    for ch in gram:
        key = (key << _BITS) | ord(ch)
    return key


def key_gram(key: int) -> str:
    """The gram of a :func:`gram_key`."""
    chars: list[str] = []
    mask = (1 << _BITS) - 1
    while key:
        chars.append(chr(key & mask))
        key >>= _BITS
    return "".join(reversed(chars))


def _gram_keys(texts: Sequence[str], max_n: int) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """(row, key) of every 1..max_n-gram of every text, the same grams as :func:`grams`."""
    parts = [_SPLIT.sub("\x00", normalize_text(t)) for t in texts]
    joined = "\x00".join(parts)
    codes = np.frombuffer(joined.encode("utf-32-le", errors="replace"), dtype=np.uint32).astype(np.int64)
    lengths = np.array([len(p) + 1 for p in parts], dtype=np.int64)
    row_of = np.repeat(np.arange(len(parts), dtype=np.int64), lengths)[: len(codes)]
    length = len(codes)
    rows: list[npt.NDArray[np.int64]] = []
    keys: list[npt.NDArray[np.int64]] = []
    for n in range(1, max_n + 1):
        width = length - n + 1
        if width <= 0:
            break
        key = codes[:width].copy()
        valid = key != 0
        for j in range(1, n):
            nxt = codes[j : j + width]
            key = (key << _BITS) | nxt
            valid &= nxt != 0
        where = np.flatnonzero(valid)
        keys.append(key[where])
        rows.append(row_of[where])
    if not keys:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return np.concatenate(rows), np.concatenate(keys)


def readable_gram(gram: str) -> bool:
    """A gram worth showing to an officer: no folded digits (``0``), not a lone Latin letter."""
    if "0" in gram:
        return False
    return not (len(gram) == 1 and gram.isascii())


@dataclass
class NgramVectorizer:
    """Vocabulary + idf; turns texts into an L2-normalised sublinear TF-IDF CSR matrix."""

    vocabulary: dict[str, int]
    idf: npt.NDArray[np.float64]
    max_n: int = 3
    _keys: tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        if not 1 <= self.max_n <= MAX_N:
            raise ValueError(f"max_n must be 1..{MAX_N}")

    @classmethod
    def fit(
        cls, texts: Sequence[str], *, max_n: int = 3, min_df: int = 1, max_features: int = 300_000
    ) -> NgramVectorizer:
        row, key = _gram_keys(texts, max_n)
        order = np.lexsort((row, key))
        row, key = row[order], key[order]
        first = np.ones(len(key), dtype=np.bool_)  # first occurrence of each (gram, text) pair
        first[1:] = (key[1:] != key[:-1]) | (row[1:] != row[:-1])
        grams_, df = np.unique(key[first], return_counts=True)
        keep = df >= min_df
        if not keep.any():  # e.g. every gram is rare: fall back to all of them
            keep[:] = True
        kept = sorted(
            zip(map(key_gram, grams_[keep].tolist()), df[keep].tolist(), strict=True),
            key=lambda item: (-item[1], item[0]),
        )[:max_features]
        kept.sort(key=lambda item: item[0])  # a stable, readable order in the saved file
        vocabulary = {g: i for i, (g, _) in enumerate(kept)}
        n = len(texts)
        counts = np.array([c for _, c in kept], dtype=np.float64)
        idf = np.log((1.0 + n) / (1.0 + counts)) + 1.0
        return cls(vocabulary=vocabulary, idf=idf, max_n=max_n)

    @property
    def size(self) -> int:
        return len(self.vocabulary)

    def prepare(self) -> None:
        """Build the sorted key table now (it is otherwise built by the first :meth:`transform`)."""
        self._lookup()

    def _lookup(self) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """The vocabulary's integer gram keys, sorted, and the vocabulary index of each."""
        if self._keys is None:
            keys = np.array([gram_key(g) for g in self.vocabulary], dtype=np.int64)
            ids = np.array(list(self.vocabulary.values()), dtype=np.int64)
            order = np.argsort(keys, kind="stable")
            self._keys = (keys[order], ids[order])
        return self._keys

    def transform(self, texts: Iterable[str]) -> sparse.csr_matrix:
        """Vectorised: every gram of the batch becomes a 63-bit integer key (three 21-bit code points),
        looked up in the sorted vocabulary keys — no per-gram Python work."""
        texts = list(texts)
        rows = len(texts)
        sorted_keys, sorted_ids = self._lookup()
        row, key = _gram_keys(texts, self.max_n)
        if len(key) and len(sorted_keys):
            pos = np.minimum(np.searchsorted(sorted_keys, key), len(sorted_keys) - 1)
            known = sorted_keys[pos] == key
            col, row = sorted_ids[pos[known]], row[known]
        else:
            col, row = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        if not len(col):
            return sparse.csr_matrix((rows, self.size), dtype=np.float64)
        # Count duplicates (row, col) with one unique over a combined key.
        key = row * self.size + col
        uniq, tf = np.unique(key, return_counts=True)
        urow = uniq // self.size
        ucol = uniq % self.size
        data = (1.0 + np.log(tf.astype(np.float64))) * self.idf[ucol]
        norms = np.sqrt(np.bincount(urow, weights=data * data, minlength=rows))
        norms[norms == 0.0] = 1.0
        data = data / norms[urow]
        new_ptr = np.zeros(rows + 1, dtype=np.int64)
        np.cumsum(np.bincount(urow, minlength=rows), out=new_ptr[1:])
        return sparse.csr_matrix((data, ucol, new_ptr), shape=(rows, self.size))

    def terms(self) -> list[str]:
        """The vocabulary as a list, index order."""
        out = [""] * self.size
        for gram, index in self.vocabulary.items():
            out[index] = gram
        return out
