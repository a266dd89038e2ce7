"""Duplicates and repeats: one matter across channels, and complaints that come back after closure.

For a ticket, the candidates are the other tickets of the same complainant (same phone key) or about
the same linked entity, received within ``settings.complaints_duplicate_window_days`` before it, or
closed within that window before it was received. Then:

* **same matter** — the same complainant about the same entity within the window, or a near-duplicate
  text (Jaccard similarity of character shingles ≥ ``settings.complaints_near_duplicate_threshold``) from
  the same complainant or about the same entity, whatever the channel (12315, 12345, platform, 消协):
  ``matter_id`` is the earliest ticket of the group;
* **repeat** — the same complainant about the same entity after an earlier ticket was closed, within
  the window after its closure: ``repeat_of_id`` points to it (it counts against 原始解决率).

The two halves of one split submission (第七条) are never each other's duplicates. The evidence is
stored in ``triage_detail["duplicates"]``. Candidates come from indexed columns (party, entity,
received_at), so the check stays fast on large tables; a batch loads them with one query per chunk.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from tianping.core.settings import get_settings

from .models import Party, Ticket

__all__ = ["DuplicateResult", "find_duplicates", "find_duplicates_many", "shingles", "similarity"]

_CHUNK = 500
_DROP = re.compile(r"[\W_]+", re.UNICODE)


@dataclass
class DuplicateResult:
    matter_id: int | None = None
    repeat_of_id: int | None = None
    same_party_business: list[int] = field(default_factory=list)
    near_duplicates: list[tuple[int, float]] = field(default_factory=list)

    def detail(self, window_days: int, threshold: float) -> dict[str, Any]:
        return {
            "matter_id": self.matter_id,
            "repeat_of_id": self.repeat_of_id,
            "same_party_business": self.same_party_business[:10],
            "near_duplicates": [[tid, round(score, 3)] for tid, score in self.near_duplicates[:10]],
            "window_days": window_days,
            "threshold": threshold,
        }


@lru_cache(maxsize=65_536)  # the candidates of consecutive batches overlap
def shingles(text: str) -> frozenset[str]:
    """Character 3-grams of the text without spaces and punctuation (2-grams for very short texts)."""
    value = _DROP.sub("", unicodedata.normalize("NFKC", text).lower())
    size = 3 if len(value) >= 12 else 2
    if len(value) < size:
        return frozenset({value}) if value else frozenset()
    return frozenset(value[i : i + size] for i in range(len(value) - size + 1))


def similarity(a: frozenset[str], b: frozenset[str]) -> float:
    """Jaccard similarity of two shingle sets."""
    if not a or not b:
        return 0.0
    inter = len(a & b)
    return inter / (len(a) + len(b) - inter)


@dataclass
class _Row:
    id: int
    party_id: int | None
    entity_id: int | None
    received_at: datetime
    closed_at: datetime | None
    matter_id: int | None
    split_of_id: int | None
    title: str
    text: str
    ticket: Ticket | None = None
    _shingles: frozenset[str] | None = None

    def grams(self) -> frozenset[str]:
        if self._shingles is None:
            self._shingles = shingles(f"{self.title}\n{self.text}")
        return self._shingles


def _party_keys(session: Session, party_ids: set[int]) -> dict[int, str]:
    keys: dict[int, str] = {}
    ids = sorted(party_ids)
    for i in range(0, len(ids), _CHUNK):
        stmt = select(Party.id, Party.phone_key).where(Party.id.in_(ids[i : i + _CHUNK]))
        keys.update({pid: key for pid, key in session.execute(stmt) if key})
    return keys


def _parties_with_keys(session: Session, keys: set[str]) -> dict[int, str]:
    found: dict[int, str] = {}
    values = sorted(keys)
    for i in range(0, len(values), _CHUNK):
        stmt = select(Party.id, Party.phone_key).where(Party.phone_key.in_(values[i : i + _CHUNK]))
        found.update({pid: key for pid, key in session.execute(stmt) if key})
    return found


def _candidates(
    session: Session, party_ids: set[int], entity_ids: set[int], lo: datetime, hi: datetime
) -> list[_Row]:
    cols = (
        Ticket.id,
        Ticket.party_id,
        Ticket.entity_id,
        Ticket.received_at,
        Ticket.closed_at,
        Ticket.matter_id,
        Ticket.split_of_id,
        Ticket.title,
        Ticket.text,
    )
    rows: dict[int, _Row] = {}
    when = and_(Ticket.received_at <= hi, or_(Ticket.received_at >= lo, Ticket.closed_at >= lo))
    for column, values in ((Ticket.party_id, sorted(party_ids)), (Ticket.entity_id, sorted(entity_ids))):
        for i in range(0, len(values), _CHUNK):
            stmt = select(*cols).where(column.in_(values[i : i + _CHUNK]), when)
            for r in session.execute(stmt):
                rows.setdefault(r[0], _Row(*r))
    return sorted(rows.values(), key=lambda r: (r.received_at, r.id))


def find_duplicates_many(*, session: Session, tickets: Sequence[Ticket]) -> list[DuplicateResult]:
    """Check and store duplicates and repeats of ``tickets`` (rows with ids); results in input order."""
    with session.no_autoflush:  # the batch's pending changes are written by the caller, in one go
        return _find(session, tickets)


def _find(session: Session, tickets: Sequence[Ticket]) -> list[DuplicateResult]:
    settings = get_settings()
    window = timedelta(days=settings.complaints_duplicate_window_days)
    threshold = settings.complaints_near_duplicate_threshold
    results: dict[int, DuplicateResult] = {t.id: DuplicateResult() for t in tickets}
    if not tickets:
        return []
    own_keys = _party_keys(session, {t.party_id for t in tickets if t.party_id is not None})
    key_parties = _parties_with_keys(session, set(own_keys.values()))
    key_of = {**key_parties, **own_keys}
    party_ids = set(key_parties) | set(own_keys)
    entity_ids = {t.entity_id for t in tickets if t.entity_id is not None}
    lo = min(t.received_at for t in tickets) - window
    hi = max(t.received_at for t in tickets)
    stored = _candidates(session, party_ids, entity_ids, lo, hi)
    # The batch's own tickets come from memory (their entity may be linked but not yet written) and
    # carry their live objects, whose matter ids change below.
    by_id = {r.id: r for r in stored}
    for t in tickets:
        by_id[t.id] = _Row(
            t.id,
            t.party_id,
            t.entity_id,
            t.received_at,
            t.closed_at,
            t.matter_id,
            t.split_of_id,
            t.title,
            t.text,
            t,
        )
    candidates = sorted(by_id.values(), key=lambda r: (r.received_at, r.id))
    by_party: dict[str, list[_Row]] = {}
    by_entity: dict[int, list[_Row]] = {}
    for r in candidates:
        if r.party_id is not None and r.party_id in key_of:
            by_party.setdefault(key_of[r.party_id], []).append(r)
        if r.entity_id is not None:
            by_entity.setdefault(r.entity_id, []).append(r)
    order = sorted(tickets, key=lambda t: (t.received_at, t.id))
    roots: list[int] = []  # earlier tickets (not in the batch) that now head a matter
    for t in order:
        result = results[t.id]
        me = by_id.get(t.id)
        my_key = key_of.get(t.party_id) if t.party_id is not None else None
        pool: dict[int, _Row] = {}
        for r in by_party.get(my_key, []) if my_key else []:
            pool[r.id] = r
        for r in by_entity.get(t.entity_id, []) if t.entity_id is not None else []:
            pool[r.id] = r
        matter: int | None = None
        for r in sorted(pool.values(), key=lambda r: (r.received_at, r.id)):
            if r.id == t.id or r.split_of_id == t.id or t.split_of_id == r.id:
                continue
            if (r.received_at, r.id) > (t.received_at, t.id):
                continue  # only earlier tickets make a matter
            same_party = my_key is not None and r.party_id is not None and key_of.get(r.party_id) == my_key
            same_entity = t.entity_id is not None and r.entity_id == t.entity_id
            if r.closed_at is not None and r.closed_at <= t.received_at:
                if same_party and same_entity and t.received_at - r.closed_at <= window:
                    if result.repeat_of_id is None or r.id > result.repeat_of_id:
                        result.repeat_of_id = r.id
                    matter = min(matter or r.id, r.matter_id or r.id)
                continue
            if t.received_at - r.received_at > window:
                continue
            linked = False
            if same_party and same_entity:
                result.same_party_business.append(r.id)
                linked = True
            # Jaccard ≥ threshold needs sizes within that ratio: skip the shingles of hopeless pairs.
            mine, theirs = len(t.title) + len(t.text), len(r.title) + len(r.text)
            plausible = min(mine, theirs) >= threshold * 0.9 * max(mine, theirs)
            score = (
                similarity(me.grams() if me else shingles(f"{t.title}\n{t.text}"), r.grams())
                if plausible
                else 0.0
            )
            if score >= threshold:
                result.near_duplicates.append((r.id, score))
                linked = True
            if linked:
                root = r.matter_id or r.id
                matter = root if matter is None else min(matter, root)
                if r.matter_id is None:
                    r.matter_id = r.id
                    if r.ticket is not None:
                        r.ticket.matter_id = r.id
                    else:
                        roots.append(r.id)
        result.near_duplicates.sort(key=lambda p: -p[1])
        if matter is not None:
            result.matter_id = matter
            t.matter_id = matter
            if me is not None:
                me.matter_id = matter
        if result.repeat_of_id is not None:
            t.repeat_of_id = result.repeat_of_id
        detail = dict(t.triage_detail or {})
        detail["duplicates"] = result.detail(settings.complaints_duplicate_window_days, threshold)
        t.triage_detail = detail
    for i in range(0, len(roots), _CHUNK):  # one statement per chunk; loaded objects are refreshed
        stmt = (
            update(Ticket)
            .where(Ticket.id.in_(roots[i : i + _CHUNK]), Ticket.matter_id.is_(None))
            .values(matter_id=Ticket.id)
            .execution_options(synchronize_session="fetch")
        )
        session.execute(stmt)
    return [results[t.id] for t in tickets]


def find_duplicates(*, session: Session, ticket: Ticket) -> DuplicateResult:
    """Check and store the duplicates and repeats of one ticket (see the module docstring)."""
    return find_duplicates_many(session=session, tickets=[ticket])[0]
