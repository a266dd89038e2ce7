"""Maintenance of the fuzzy-name index: postings and document frequencies.

Callers pass the gram sets of entities before and after a change; this module writes only the
difference, in sorted batches (sorted keys keep B-tree writes local and make concurrent PostgreSQL
upserts lock rows in one order). Everything uses Core statements with lists of parameters, never
per-row ORM flushes, so an import of 100,000 rows maintains its index in a few seconds.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Table, bindparam, delete, func, insert, select, update
from sqlalchemy.orm import Session

from tianping.registry.grams import doc_grams
from tianping.registry.models import EntityAlias, MarketEntity, SearchGram, SearchGramDf

__all__ = [
    "adjust_df",
    "apply_changes",
    "bulk_writes",
    "entity_grams",
    "insert_rows",
    "rebuild",
    "refresh_statistics",
    "write_postings",
]

_GRAM: Table = SearchGram.__table__  # type: ignore[assignment]
_DF: Table = SearchGramDf.__table__  # type: ignore[assignment]
_CHUNK = 20_000
_IN_CHUNK = 500
_PAGE_VALUES = 2_000  # values per multi-row INSERT (bigger statements cost more to parse and plan)


def _chunks(rows: list[Any], size: int = _CHUNK) -> Iterable[list[Any]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def entity_grams(session: Session, entity_ids: Iterable[int]) -> dict[int, set[int]]:
    """Current gram sets of the given entities, read from their names and aliases."""
    ids = sorted(set(entity_ids))
    texts: dict[int, list[str]] = {}
    for part in _chunks(ids, _IN_CHUNK):
        for eid, name in session.execute(
            select(MarketEntity.id, MarketEntity.normalized_name).where(MarketEntity.id.in_(part))
        ):
            texts.setdefault(eid, []).append(name)
        for eid, alias in session.execute(
            select(EntityAlias.entity_id, EntityAlias.normalized_alias).where(EntityAlias.entity_id.in_(part))
        ):
            texts.setdefault(eid, []).append(alias)
    return {eid: doc_grams(t) for eid, t in texts.items()}


def _marks(connection: Connection) -> str:
    style = connection.dialect.paramstyle
    if style == "qmark":
        return "?"
    if style in ("format", "pyformat"):
        return "%s"
    raise RuntimeError(f"unsupported DB-API parameter style {style}")


def _executemany(session: Session, sql: str, rows: list[tuple[int, int]]) -> None:
    """Plain ``executemany`` through the driver (``?`` placeholders, rewritten for the driver)."""
    connection = session.connection()
    sql = sql.replace("?", _marks(connection))
    for part in _chunks(rows):
        connection.exec_driver_sql(sql, part)


def insert_rows(
    session: Session,
    table: str,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    tail: str = "",
    multirow: bool = True,
) -> None:
    """Bulk insert with plain SQL, the fastest way each database offers.

    SQLite: ``executemany`` of a one-row INSERT (one prepared statement stepped per row, no round
    trips). Other databases: multi-row ``VALUES`` pages of up to 2,000 values, one statement and one
    round trip per page instead of per row — for narrow all-integer rows such as postings; wide rows
    with NULLs (``multirow=False``) go faster through the driver's pipelined ``executemany``.
    ``tail`` is appended to the statement (``ON CONFLICT …``).
    """
    connection = session.connection()
    mark = _marks(connection)
    one = "(" + ", ".join(mark for _ in columns) + ")"
    head = f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
    if connection.dialect.name == "sqlite" or not multirow:
        for part in _chunks(list(rows)):
            connection.exec_driver_sql(head + one + tail, part)
        return
    size = max(1, _PAGE_VALUES // len(columns))
    for start in range(0, len(rows), size):
        page = rows[start : start + size]
        flat = tuple(value for row in page for value in row)
        connection.exec_driver_sql(head + ", ".join(one for _ in page) + tail, flat)


def write_postings(session: Session, added: list[tuple[int, int]], removed: list[tuple[int, int]]) -> None:
    """Insert and delete ``(gram, entity_id)`` postings (no document-frequency bookkeeping)."""
    table = _GRAM.name
    if removed:
        removed.sort()
        _executemany(session, f"DELETE FROM {table} WHERE gram = ? AND entity_id = ?", removed)
    if added:
        insert_rows(session, table, ("gram", "entity_id"), added)


def _upsert_df(session: Session, rows: list[tuple[int, int]]) -> None:
    """``df += delta`` for existing grams, insert the others.

    ``INSERT … ON CONFLICT … DO UPDATE`` is the same SQL on SQLite (≥ 3.24) and PostgreSQL; other
    databases take the portable path (find the existing grams, update them, insert the rest).
    """
    table = _DF.name
    if session.get_bind().dialect.name in ("sqlite", "postgresql"):
        tail = f" ON CONFLICT (gram) DO UPDATE SET df = {table}.df + excluded.df"
        insert_rows(session, table, ("gram", "df"), rows, tail=tail)
        return
    for part in _chunks(rows, _IN_CHUNK):
        existing = set(session.scalars(select(_DF.c.gram).where(_DF.c.gram.in_([g for g, _ in part]))))
        old = [{"g": g, "d": d} for g, d in part if g in existing]
        new = [{"gram": g, "df": d} for g, d in part if g not in existing]
        if old:
            stmt = update(_DF).where(_DF.c.gram == bindparam("g")).values(df=_DF.c.df + bindparam("d"))
            session.execute(stmt, old)
        if new:
            session.execute(insert(_DF), new)


def adjust_df(session: Session, deltas: Mapping[int, int]) -> None:
    """Apply document-frequency changes (positive: grams gained, negative: grams lost)."""
    gains = [(g, d) for g, d in sorted(deltas.items()) if d > 0]
    losses = [(-d, g) for g, d in sorted(deltas.items()) if d < 0]
    if gains:
        _upsert_df(session, gains)
    if losses:
        _executemany(session, f"UPDATE {_DF.name} SET df = df - ? WHERE gram = ?", losses)


def apply_changes(
    session: Session,
    before: Mapping[int, set[int]],
    after: Mapping[int, set[int]],
    df_deltas: Counter[int] | None = None,
) -> None:
    """Bring the index from ``before`` to ``after`` for the entities named in either.

    With ``df_deltas`` the frequency changes are accumulated there (the caller flushes them once with
    :func:`adjust_df`, as the importer does); otherwise they are applied immediately.
    """
    deltas: Counter[int] = Counter() if df_deltas is None else df_deltas
    added: list[tuple[int, int]] = []
    removed: list[tuple[int, int]] = []
    if not before:  # new entities only, the bulk case: no per-gram Python loop
        added = [(g, eid) for eid, grams in after.items() for g in grams]
        deltas.update(g for grams in after.values() for g in grams)
    else:
        for eid in before.keys() | after.keys():
            old = before.get(eid, set())
            new = after.get(eid, set())
            gained, lost = new - old, old - new
            added.extend((g, eid) for g in gained)
            removed.extend((g, eid) for g in lost)
            deltas.update(gained)
            deltas.subtract(lost)
    write_postings(session, added, removed)
    if df_deltas is None:
        adjust_df(session, deltas)


@contextmanager
def bulk_writes(session: Session) -> Iterator[None]:
    """Room for bulk index writes: postings land all over the (gram, entity) B-tree, so on SQLite a
    page cache of 256 MiB (instead of 2 MiB) keeps those pages in memory for the duration.
    PostgreSQL sizes its buffers server-side: nothing to do there.
    """
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        yield
        return
    previous = int(connection.exec_driver_sql("PRAGMA cache_size").scalar() or -2000)
    connection.exec_driver_sql("PRAGMA cache_size = -262144")
    try:
        yield
    finally:
        connection.exec_driver_sql(f"PRAGMA cache_size = {previous}")


def refresh_statistics(session: Session) -> None:
    """After a bulk write on PostgreSQL, refresh the planner statistics of the registry tables.

    A table that grew from (nearly) empty within one connection would otherwise keep being queried
    with plans made for an empty table (psycopg prepares repeated statements on the server). SQLite
    plans well without statistics, and gathering them there would scan every index: nothing to do.
    """
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        names = (MarketEntity.__tablename__, EntityAlias.__tablename__, _GRAM.name, _DF.name)
        tables = ", ".join(names)
        connection.exec_driver_sql(f"ANALYZE {tables}")


def rebuild(session: Session, *, batch_size: int = 5_000) -> int:
    """Drop and rebuild the whole index from the entity and alias tables; returns the entity count."""
    with bulk_writes(session):
        return _rebuild(session, batch_size)


def _rebuild(session: Session, batch_size: int) -> int:
    session.execute(delete(_GRAM))
    session.execute(delete(_DF))
    last_id = 0
    count = 0
    while True:
        ids = list(
            session.scalars(
                select(MarketEntity.id)
                .where(MarketEntity.id > last_id)
                .order_by(MarketEntity.id)
                .limit(batch_size)
            )
        )
        if not ids:
            break
        grams = entity_grams(session, ids)
        write_postings(session, [(g, eid) for eid, gs in grams.items() for g in gs], [])
        count += len(ids)
        last_id = ids[-1]
    session.execute(
        insert(_DF).from_select(["gram", "df"], select(_GRAM.c.gram, func.count()).group_by(_GRAM.c.gram))
    )
    refresh_statistics(session)
    return count
