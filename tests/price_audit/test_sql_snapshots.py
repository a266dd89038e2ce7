"""The compiled SQL of every rule, for DuckDB and Trino, is kept in ``sql_snapshots/`` and compared.

A change in a rule (or in Ibis/SQLGlot) shows up as a readable SQL diff in review. Regenerate with
``TIANPING_UPDATE_SQL_SNAPSHOTS=1 pytest tests/price_audit/test_sql_snapshots.py``.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import ibis
import pytest

from tianping.price_audit import RULES, AuditParams, Rule
from tianping.price_audit.episodes import prepare
from tianping.price_audit.schemas import OBSERVATION_SCHEMA, TRANSACTION_SCHEMA

SNAPSHOTS = Path(__file__).parent / "sql_snapshots"
UPDATE = os.environ.get("TIANPING_UPDATE_SQL_SNAPSHOTS", "") not in ("", "0")
DIALECTS = ("duckdb", "trino")


def _frame(with_transactions: bool):  # type: ignore[no-untyped-def]
    observations = ibis.table(ibis.Schema.from_pyarrow(OBSERVATION_SCHEMA), name="price_observations")
    transactions = ibis.table(ibis.Schema.from_pyarrow(TRANSACTION_SCHEMA), name="price_transactions")
    return prepare(observations, transactions if with_transactions else None, date(2025, 1, 1))


CASES = [(rule, False) for rule in RULES] + [(RULES[0], True), (RULES[1], True)]


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize(
    ("rule", "with_transactions"), CASES, ids=[f"{r.id}-{'tx' if t else 'proxy'}" for r, t in CASES]
)
def test_compiled_sql_matches_snapshot(rule: Rule, with_transactions: bool, dialect: str) -> None:
    sql = ibis.to_sql(rule.build(_frame(with_transactions), AuditParams()), dialect=dialect).strip() + "\n"
    path = SNAPSHOTS / f"{rule.id}-{'transactions' if with_transactions else 'proxy'}.{dialect}.sql"
    if UPDATE:
        SNAPSHOTS.mkdir(exist_ok=True)
        path.write_text(sql, encoding="utf-8")
    assert path.exists(), f"missing snapshot {path.name}: run with TIANPING_UPDATE_SQL_SNAPSHOTS=1"
    assert sql == path.read_text(encoding="utf-8"), (
        f"{rule.id} compiles differently for {dialect}; review the diff and regenerate the snapshot "
        "with TIANPING_UPDATE_SQL_SNAPSHOTS=1"
    )


def test_every_snapshot_belongs_to_a_rule() -> None:
    expected = {f"{r.id}-{'transactions' if t else 'proxy'}.{d}.sql" for r, t in CASES for d in DIALECTS}
    assert {p.name for p in SNAPSHOTS.glob("*.sql")} == expected
