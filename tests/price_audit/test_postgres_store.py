"""Observations kept in PostgreSQL: imported once, audited in place by ``--backend postgres``."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.price_audit import oracle
from tests.price_audit.support import rich_history, write_observations, write_transactions
from tianping import analytics
from tianping.price_audit import EngineOptions, InputKind, import_observations, postgres_store_rows, run_audit
from tianping.price_audit.store import PG_TABLES, PostgresObservationStore

POSTGRES_URL = os.environ.get("TIANPING_TEST_POSTGRES_URL", "").strip()
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not POSTGRES_URL, reason="needs TIANPING_TEST_POSTGRES_URL"),
]


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A database of its own (the store's tables are permanent), dropped afterwards."""
    worker = re.sub(r"\W", "", os.environ.get("PYTEST_XDIST_WORKER", "main")) or "main"
    name = f"tianping_price_audit_{worker}"
    admin = create_engine(make_url(POSTGRES_URL), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f"CREATE DATABASE \"{name}\" ENCODING 'UTF8' TEMPLATE template0"))
        yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def test_import_once_then_audit_in_place(pg_url: str, tmp_path: Path) -> None:
    obs, tx = rich_history()
    obs_path = write_observations(tmp_path / "obs.csv", obs)
    first = import_observations([obs_path], into="postgres", postgres_url=pg_url, home=tmp_path)
    assert [(o.rows, o.skipped) for o in first] == [(len(obs), False)]
    again = import_observations([obs_path], into="postgres", postgres_url=pg_url, home=tmp_path)
    assert [o.skipped for o in again] == [True]
    tx_path = write_transactions(tmp_path / "tx.csv", tx)
    import_observations(
        [tx_path], kind=InputKind.TRANSACTIONS, into="postgres", postgres_url=pg_url, home=tmp_path
    )
    assert postgres_store_rows(postgres_url=pg_url, home=tmp_path) == {
        "observations": len(obs),
        "transactions": len(tx),
    }

    run = run_audit(observations=None, engine=EngineOptions("postgres", postgres_url=pg_url), home=tmp_path)
    assert run.manifest["inputs"]["observations"]["source"] == "postgres"
    assert run.manifest["inputs"]["observations"]["parts"] == [1]
    expected, _ = oracle.audit(obs, tx, oracle.Params())
    assert run.rows() == expected


def test_rows_of_a_crashed_import_are_never_read(pg_url: str, tmp_path: Path) -> None:
    obs, _ = rich_history()
    import_observations(
        [write_observations(tmp_path / "a.csv", obs)], into="postgres", postgres_url=pg_url, home=tmp_path
    )
    engine = analytics.connect("postgres", postgres_url=pg_url)
    try:
        # An import numbered 2 that wrote its rows but died before its manifest line.
        store = PostgresObservationStore(engine, tmp_path)
        orphan = analytics.to_arrow(engine, store.table(InputKind.OBSERVATIONS, [1]))
        orphan = orphan.append_column("part", pa.array([2] * orphan.num_rows, pa.int64()))
        analytics.append_arrow(engine, PG_TABLES[InputKind.OBSERVATIONS], orphan)
    finally:
        engine.close()
    run = run_audit(observations=None, engine=EngineOptions("postgres", postgres_url=pg_url), home=tmp_path)
    assert run.counts["observations"] == len(obs)

    extra = write_observations(tmp_path / "b.csv", obs[:5])
    (outcome,) = import_observations([extra], into="postgres", postgres_url=pg_url, home=tmp_path)
    assert outcome.part is not None and outcome.part.number == 2
    run = run_audit(observations=None, engine=EngineOptions("postgres", postgres_url=pg_url), home=tmp_path)
    assert run.counts["observations"] == len(obs) + 5  # the orphan rows were cleared, not counted


def test_audit_without_imports_is_a_clear_error(pg_url: str, tmp_path: Path) -> None:
    from tianping.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed, match="PostgreSQL 中没有观测数据"):
        run_audit(observations=None, engine=EngineOptions("postgres", postgres_url=pg_url), home=tmp_path)
