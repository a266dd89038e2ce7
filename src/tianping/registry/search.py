"""Fuzzy name search over names and aliases, fast at a million entities on SQLite and PostgreSQL.

1. The query is normalised (:func:`~tianping.registry.grams.normalize_name`) and cut into grams.
2. Their document frequencies are read; grams no entity has (typos) drop out, and the rarest grams are
   taken first while their postings fit a budget, so a query never reads the huge posting lists of
   ``有限``/``公司``.
3. One aggregate query ranks the entities of those postings by the IDF-weighted sum of shared grams and
   keeps the best few hundred (joined with the entity table, the actor's scope and the list filters when
   there are any).
4. The candidates are re-scored with rapidfuzz against their normalised name and each alias, and the
   best matches above a threshold are returned.

Typos survive because a single substituted, missing or extra character leaves most bigrams and
skip-bigrams intact (see :mod:`tianping.registry.grams`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rapidfuzz import fuzz
from sqlalchemy import BindParameter, ColumnElement, Float, bindparam, case, cast, func, select
from sqlalchemy.orm import Session

from tianping.core.authz import Actor, Perm
from tianping.core.validation import normalize_uscc
from tianping.registry.grams import gram_codes, normalize_name
from tianping.registry.models import EntityAlias, MarketEntity, SearchGram, SearchGramDf
from tianping.registry.repository import scope_filter

__all__ = ["MIN_SCORE", "Matcher", "SearchHit", "match_score", "search_names"]

MIN_SCORE = 60.0
POSTING_BUDGET = 10_000  # postings read per query, at most (rarest grams first)
CANDIDATES = 120  # entities re-scored (edit distance and rapidfuzz) per query
_IDF_BASE = 1_000_000


@dataclass(frozen=True)
class SearchHit:
    entity_id: int
    score: float  # 0–100
    matched: str  # the name or alias that matched best (as stored, not normalised)


class Matcher:
    """Scores normalised names and aliases against one normalised query.

    The core measure is the edit distance between the query and the best-matching *part* of the text
    (Myers' bit-parallel approximate string matching: start and end in the text are free), as a share
    of the query's length: a missing, extra or substituted character in a four-character brand costs
    25 points, a query merely sharing its first two characters with a name scores 50.
    """

    def __init__(self, query: str) -> None:
        self.query = query
        self.length = len(query)
        self.peq: dict[str, int] = {}
        for i, ch in enumerate(query):
            self.peq[ch] = self.peq.get(ch, 0) | (1 << i)

    def substring_distance(self, text: str) -> int:
        """min over substrings ``s`` of ``text`` of Levenshtein(query, s)."""
        m = self.length
        full = (1 << m) - 1
        top = 1 << (m - 1)
        pv, mv, score, best = full, 0, m, m
        peq = self.peq
        for ch in text:
            eq = peq.get(ch, 0)
            xv = eq | mv
            xh = (((eq & pv) + pv) ^ pv) | eq
            ph = mv | (~(xh | pv) & full)
            mh = pv & xh
            if ph & top:
                score += 1
            elif mh & top:
                score -= 1
                if score < best:
                    best = score
            ph = (ph << 1) & full
            mh = (mh << 1) & full
            pv = mh | (~(xv | ph) & full)
            mv = ph & xv
        return best

    def score(self, text: str) -> float:
        """0–100: equal 100; contained 95–100 (a larger share of the text scores higher); otherwise
        at most 95, from the substring edit distance, with a little of the whole-text similarity so
        that an alias of the query's length beats a long name with the same edit distance.
        """
        query = self.query
        if not query or not text:
            return 0.0
        if query == text:
            return 100.0
        if query in text:
            return 95.0 + 5.0 * self.length / len(text)
        distance = self.substring_distance(text)
        closeness = 100.0 * max(0, self.length - distance) / self.length
        return 0.9 * closeness + 0.05 * fuzz.ratio(query, text)


def match_score(query: str, text: str) -> float:
    """Similarity (0–100) of a normalised query to a normalised name or alias (see :class:`Matcher`)."""
    return Matcher(query).score(text)


def _ids(name: str) -> BindParameter[Any]:
    """An expanding ``IN`` parameter: long value lists are bound as they are, not coerced one by one."""
    return bindparam(name, expanding=True)


def _restricted(actor: Actor) -> bool:
    return (
        actor.platform_entity_id is not None
        or actor.division_prefixes is not None
        or actor.industry_sections is not None
    )


def _in_scope(session: Session, ids: list[int], where: Sequence[ColumnElement[bool]]) -> set[int]:
    """Which of ``ids`` pass the scope and filters (checked by primary key, after an indexed find)."""
    if not ids or not where:
        return set(ids)
    stmt = select(MarketEntity.id).where(MarketEntity.id.in_(_ids("ids")), *where)
    return set(session.scalars(stmt, {"ids": ids}))


def _exact_key_hits(session: Session, raw: str, where: Sequence[ColumnElement[bool]]) -> list[SearchHit]:
    """A query that is a credit code or an external id finds that entity first."""
    key = raw.strip()
    if not key or len(key) > 100:
        return []
    by_code = select(MarketEntity.id, MarketEntity.name).where(MarketEntity.uscc == normalize_uscc(key))
    found: dict[int, str] = {eid: name for eid, name in session.execute(by_code)}
    by_id = select(MarketEntity.id, MarketEntity.name).where(MarketEntity.external_id == key)
    found.update({eid: name for eid, name in session.execute(by_id)})
    allowed = _in_scope(session, list(found), where)
    return [SearchHit(eid, 100.0, name) for eid, name in found.items() if eid in allowed]


def _exact_names(
    session: Session, norm: str, where: Sequence[ColumnElement[bool]], limit: int
) -> list[tuple[int, float]]:
    """Entities whose whole normalised name or alias is the query (indexed equality, always cheap).

    This rescues short brand queries whose only gram is too common to read all of its postings.
    """
    by_name = select(MarketEntity.id).where(MarketEntity.normalized_name == norm).limit(limit)
    by_alias = select(EntityAlias.entity_id).where(EntityAlias.normalized_alias == norm).limit(limit)
    ids = list(dict.fromkeys([*session.scalars(by_name), *session.scalars(by_alias)]))
    allowed = _in_scope(session, ids, where)
    return [(eid, math.inf) for eid in ids if eid in allowed]


def _short_query(
    session: Session, norm: str, where: Sequence[ColumnElement[bool]], limit: int
) -> list[tuple[int, float]]:
    """One-character queries have no grams: a bounded substring scan of names."""
    stmt = (
        select(MarketEntity.id)
        .where(MarketEntity.normalized_name.contains(norm, autoescape=True), *where)
        .limit(limit)
    )
    return [(eid, 1.0) for eid in session.scalars(stmt)]


def _choose_grams(session: Session, norm: str) -> tuple[dict[int, float], int | None]:
    """Grams to read (with IDF weights) and, when even the rarest is too common, a posting cap."""
    codes = sorted(gram_codes(norm))
    if not codes:
        return {}, None
    dfs = sorted(
        (
            (df, g)
            for g, df in session.execute(
                select(SearchGramDf.gram, SearchGramDf.df).where(SearchGramDf.gram.in_(_ids("codes"))),
                {"codes": codes},
            )
            if df > 0
        ),
    )
    chosen: dict[int, float] = {}
    spent = 0
    for df, gram in dfs:
        if chosen and spent + df > POSTING_BUDGET:
            break
        chosen[gram] = math.log(1.0 + _IDF_BASE / df)
        spent += df
    cap = POSTING_BUDGET if spent > POSTING_BUDGET else None
    return chosen, cap


def _candidates(
    session: Session,
    weights: dict[int, float],
    cap: int | None,
    where: Sequence[ColumnElement[bool]],
    limit: int,
) -> list[tuple[int, float]]:
    """Entities sharing the most (IDF-weighted) grams with the query, best first."""
    grams = sorted(weights)
    if cap is not None:  # one very common gram: any ``cap`` of its postings
        postings = select(SearchGram.entity_id.label("entity_id"), cast(1.0, Float).label("s")).where(
            SearchGram.gram.in_(_ids("grams"))
        )
        ranked = postings.limit(cap).subquery()
    else:
        weight = case(
            *((SearchGram.gram == bindparam(f"g{i}"), bindparam(f"w{i}")) for i in range(len(grams))),
            else_=0.0,
        )
        ranked = (
            select(SearchGram.entity_id.label("entity_id"), func.sum(weight).label("s"))
            .where(SearchGram.gram.in_(_ids("grams")))
            .group_by(SearchGram.entity_id)
            .subquery()
        )
    params: dict[str, Any] = {"grams": grams}
    for i, gram in enumerate(grams):
        params[f"g{i}"] = gram
        params[f"w{i}"] = weights[gram]
    if where:
        stmt = (
            select(ranked.c.entity_id, ranked.c.s)
            .join(MarketEntity, MarketEntity.id == ranked.c.entity_id)
            .where(*where)
        )
    else:
        stmt = select(ranked.c.entity_id, ranked.c.s)
    stmt = stmt.order_by(ranked.c.s.desc(), ranked.c.entity_id).limit(limit)
    return [(eid, float(s)) for eid, s in session.execute(stmt, params)]


def _rescore(
    session: Session, norm: str, candidates: list[tuple[int, float]], min_score: float
) -> list[tuple[float, float, int, str]]:
    ids = [eid for eid, _ in candidates]
    texts: dict[int, list[tuple[str, str]]] = {eid: [] for eid in ids}
    # Names and aliases in one round trip: an entity row, repeated once per alias (or once, alias-less).
    stmt = (
        select(
            MarketEntity.id,
            MarketEntity.name,
            MarketEntity.normalized_name,
            EntityAlias.alias,
            EntityAlias.normalized_alias,
        )
        .outerjoin(EntityAlias, EntityAlias.entity_id == MarketEntity.id)
        .where(MarketEntity.id.in_(_ids("ids")))
    )
    seen: set[int] = set()
    for eid, name, normalized, alias, normalized_alias in session.execute(stmt, {"ids": ids}):
        if eid not in seen:
            seen.add(eid)
            texts[eid].append((normalized, name))
        if alias is not None:
            texts[eid].append((normalized_alias, alias))
    matcher = Matcher(norm)
    scored: list[tuple[float, float, int, str]] = []
    for eid, gram_score in candidates:
        best, matched = 0.0, ""
        for normalized, shown in texts.get(eid, ()):
            score = matcher.score(normalized)
            if score > best:
                best, matched = score, shown
        if best >= min_score:
            scored.append((best, gram_score, eid, matched))
    scored.sort(key=lambda t: (-t[0], -t[1], t[2]))
    return scored


def search_names(
    *,
    session: Session,
    text: str,
    actor: Actor,
    limit: int = 20,
    filters: Sequence[ColumnElement[bool]] = (),
    min_score: float = MIN_SCORE,
) -> list[SearchHit]:
    """Entities whose name or alias resembles ``text``, best first, within the actor's scope."""
    if not actor.can(Perm.ENTITY_READ):
        return []
    where: list[ColumnElement[bool]] = list(filters)
    if _restricted(actor):
        where.insert(0, scope_filter(actor))
    hits = _exact_key_hits(session, text, where)
    seen = {h.entity_id for h in hits}
    norm = normalize_name(text)
    if not norm:
        return hits[:limit]
    budget = max(CANDIDATES, limit)
    candidates = _exact_names(session, norm, where, budget)
    if len(norm) < 2:
        candidates += _short_query(session, norm, where, budget)
    else:
        weights, cap = _choose_grams(session, norm)
        if weights:
            candidates += _candidates(session, weights, cap, where, budget)
    first: dict[int, float] = {}
    for eid, gram_score in candidates:
        first.setdefault(eid, gram_score)
    candidates = list(first.items())[:budget]
    for score, _gram_score, eid, matched in _rescore(session, norm, candidates, min_score):
        if eid not in seen:
            hits.append(SearchHit(eid, round(score, 1), matched))
            seen.add(eid)
    return hits[:limit]
