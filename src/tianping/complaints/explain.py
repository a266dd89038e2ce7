"""The reasons of a prediction: the phrases whose tf-idf weight × coefficient pushed toward the label.

A multi-character gram is credited with its own contribution plus those of the grams inside it
(``学校`` = ``学校`` + ``学`` + ``校``): officers read words, not single characters. Candidates are
the grams of the text with a positive own contribution; they are taken greedily by credit per
character, skipping any that shares a character with one already taken, and returned by credit;
those below :data:`MIN_SHARE` of the strongest are dropped.

The credit of every gram of a whole batch is computed at once with numpy (sub-gram table of the
vocabulary + one sorted-key lookup), so explanations cost little beside the prediction itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import sparse

from tianping.complaints.features import readable_gram

__all__ = ["MIN_SHARE", "PhraseIndex", "explain"]

MIN_SHARE = 0.1  # a reason weighing less than this share of the strongest one is noise, not shown


@dataclass(frozen=True)
class PhraseIndex:
    """Per vocabulary gram: its text, length, readability and the vocabulary ids of its sub-grams."""

    terms: list[str]
    lengths: npt.NDArray[np.float64]
    readable: npt.NDArray[np.bool_]
    sub_indptr: npt.NDArray[np.int64]
    sub_indices: npt.NDArray[np.int64]

    @classmethod
    def build(cls, terms: Sequence[str]) -> PhraseIndex:
        vocabulary = {g: i for i, g in enumerate(terms)}
        indptr = [0]
        indices: list[int] = []
        for index, gram in enumerate(terms):
            n = len(gram)
            if n == 1:
                indices.append(index)
            else:
                subs = {gram[i : i + size] for size in range(1, n + 1) for i in range(n - size + 1)}
                indices.extend(vocabulary[s] for s in subs if s in vocabulary)
            indptr.append(len(indices))
        return cls(
            terms=list(terms),
            lengths=np.array([len(g) for g in terms], dtype=np.float64),
            readable=np.array([readable_gram(g) for g in terms], dtype=np.bool_),
            sub_indptr=np.asarray(indptr, dtype=np.int64),
            sub_indices=np.asarray(indices, dtype=np.int64),
        )


def _credits(
    index: PhraseIndex,
    keys: npt.NDArray[np.int64],
    own: npt.NDArray[np.float64],
    entries: npt.NDArray[np.int64],
    size: int,
) -> npt.NDArray[np.float64]:
    """For each entry of ``entries`` (positions in the sorted ``keys`` = row × size + gram):
    the sum of ``own`` over that gram's sub-grams present in the same row."""
    cols = keys[entries] % size
    row_base = keys[entries] - cols
    starts = index.sub_indptr[cols]
    counts = index.sub_indptr[cols + 1] - starts
    total = int(counts.sum())
    if total == 0:
        return np.zeros(len(entries), dtype=np.float64)
    owner = np.repeat(np.arange(len(entries), dtype=np.int64), counts)
    offsets = np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(counts) - counts, counts)
    wanted = np.repeat(row_base, counts) + index.sub_indices[np.repeat(starts, counts) + offsets]
    pos = np.minimum(np.searchsorted(keys, wanted), len(keys) - 1)
    found = keys[pos] == wanted
    return np.bincount(owner[found], weights=own[pos[found]], minlength=len(entries)).astype(np.float64)


def _by_weight(item: tuple[str, float]) -> float:
    return item[1]


def explain(
    index: PhraseIndex,
    x: sparse.csr_matrix,
    coef: npt.NDArray[np.float64],
    labels: npt.NDArray[np.int64],
    *,
    limit: int,
) -> list[tuple[tuple[str, float], ...]]:
    """Reasons for each row of ``x`` toward ``labels[row]`` (indices into the rows of ``coef``)."""
    if not x.has_sorted_indices:
        x = x.sorted_indices()
    row_of = np.repeat(np.arange(x.shape[0], dtype=np.int64), np.diff(x.indptr))
    cols = x.indices.astype(np.int64)
    own = x.data * coef[labels[row_of], cols]
    size = x.shape[1]
    keys = row_of * size + cols  # ascending: rows in order, columns sorted within each row
    usable = np.flatnonzero((own > 0) & index.readable[cols])
    credits = _credits(index, keys, own, usable, size)
    keep = credits > 0
    usable, credits = usable[keep], credits[keep]
    rows, grams = row_of[usable], cols[usable]
    density = credits / index.lengths[grams]
    # per row: by credit per character, then longer, then vocabulary (= alphabetical) order
    order = np.lexsort((grams, -index.lengths[grams], -density, rows))
    bounds = np.searchsorted(rows[order], np.arange(x.shape[0] + 1)).tolist()
    gram_ids, credit_list = grams[order].tolist(), credits[order].tolist()
    terms = index.terms
    out: list[tuple[tuple[str, float], ...]] = []
    for row in range(x.shape[0]):
        chosen: list[tuple[str, float]] = []
        taken: set[str] = set()
        for k in range(bounds[row], bounds[row + 1]):
            gram = terms[gram_ids[k]]
            chars = set(gram)
            if chars & taken:
                continue
            chosen.append((gram, round(credit_list[k], 4)))
            taken |= chars
            if len(chosen) >= limit:
                break
        chosen.sort(key=_by_weight, reverse=True)
        floor = MIN_SHARE * chosen[0][1] if chosen else 0.0
        out.append(tuple(item for item in chosen if item[1] >= floor))
    return out
