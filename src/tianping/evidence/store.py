"""The stored tree: perfect-subtree hashes in ``evidence_node``, read as a
:class:`tianping.evidence.merkle.NodeStore`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from sqlalchemy import Connection
from sqlalchemy.orm import Session

from tianping.core.errors import TianpingError


class LogCorrupted(TianpingError):
    """The stored tree lacks nodes an append needs: the store was damaged; run the audit."""

    status_code = 500
    code = "evidence_log_corrupted"


class DbNodeStore:
    """:class:`tianping.evidence.merkle.NodeStore` over ``evidence_node``.

    A proof or root needs at most ~2·log2(n) nodes, fetched in one query of primary-key lookups
    written in plain SQL (at ~20 keys the ORM's statement building would cost more than the lookup):

    * PostgreSQL: ``(level, position) IN (SELECT * FROM unnest(%s, %s))`` — two array parameters,
      so the statement text is the same for any number of keys;
    * SQLite: ``(level = ? AND position = ?) OR …`` (SQLite uses no index for a row-value ``IN``
      list), cached per key count, in chunks of :attr:`CHUNK` keys (SQLite limits expression depth).
    """

    CHUNK = 200
    _sql: ClassVar[dict[int, str]] = {}
    PG_SQL = (
        "SELECT level, position, hash FROM evidence_node WHERE (level, position) IN "
        "(SELECT * FROM unnest(%s::smallint[], %s::bigint[]))"
    )

    def __init__(self, session: Session) -> None:
        self.session = session

    @classmethod
    def _sqlite_statement(cls, count: int) -> str:
        sql = cls._sql.get(count)
        if sql is None:
            term = "(level = ? AND position = ?)"
            sql = f"SELECT level, position, hash FROM evidence_node WHERE {' OR '.join([term] * count)}"
            cls._sql[count] = sql
        return sql

    def get_nodes(self, keys: Sequence[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
        out: dict[tuple[int, int], bytes] = {}
        unique = list(dict.fromkeys(keys))
        if not unique:
            return out
        conn = self.session.connection()
        if conn.dialect.name == "postgresql":
            levels, positions = [k[0] for k in unique], [k[1] for k in unique]
            rows = conn.exec_driver_sql(self.PG_SQL, (levels, positions))
            return {(level, position): bytes(digest) for level, position, digest in rows}
        for lo in range(0, len(unique), self.CHUNK):
            chunk = unique[lo : lo + self.CHUNK]
            params = tuple(value for key in chunk for value in key)
            rows = conn.exec_driver_sql(self._sqlite_statement(len(chunk)), params)
            out.update({(level, position): bytes(digest) for level, position, digest in rows})
        return out


def insert_nodes(conn: Connection, nodes: Sequence[tuple[int, int, bytes]]) -> None:
    """Store new perfect-subtree nodes (one statement with array parameters on PostgreSQL)."""
    if not nodes:
        return
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(
            "INSERT INTO evidence_node (level, position, hash) "
            "SELECT * FROM unnest(%s::smallint[], %s::bigint[], %s::bytea[])",
            ([n[0] for n in nodes], [n[1] for n in nodes], [n[2] for n in nodes]),
        )
    else:
        conn.exec_driver_sql(
            "INSERT INTO evidence_node (level, position, hash) VALUES (?, ?, ?)", list(nodes)
        )
