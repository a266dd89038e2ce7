"""The same rule expressions give the same findings on DuckDB, on Spark (PySpark local mode) and on
PostgreSQL (when ``TIANPING_TEST_POSTGRES_URL`` is set).

Series are independent under every rule, so the fixed rich dataset and three random ones are audited
together as one input (each under its own platform names): one run per engine and evidence mode.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any

import pytest

from tests.price_audit import oracle
from tests.price_audit.support import random_history, rich_history, write_observations, write_transactions
from tianping.price_audit import AuditRun, EngineOptions, run_audit

POSTGRES_URL = os.environ.get("TIANPING_TEST_POSTGRES_URL", "").strip()
MODES = pytest.mark.parametrize(
    ("with_transactions", "buckets"), [(False, 1), (True, 2)], ids=["proxy", "transactions"]
)


def _combined() -> tuple[list[oracle.Obs], list[oracle.Tx]]:
    obs, tx = rich_history()
    all_obs, all_tx = list(obs), list(tx)
    for seed in (1, 2, 3):
        r_obs, r_tx = random_history(seed)
        tag = f"r{seed}-"
        all_obs += [dataclasses.replace(o, platform=tag + o.platform) for o in r_obs]
        all_tx += [dataclasses.replace(t, platform=tag + t.platform) for t in r_tx or []]
    return all_obs, all_tx


def _run(home: Path, with_transactions: bool, engine: EngineOptions, buckets: int) -> AuditRun:
    obs, tx = _combined()
    home.mkdir(parents=True, exist_ok=True)
    return run_audit(
        observations=write_observations(home / "obs.csv", obs),
        transactions=write_transactions(home / "tx.csv", tx) if with_transactions else None,
        engine=engine,
        home=home,
        buckets=buckets,
    )


def _assert_same_as_duckdb(other: AuditRun, tmp_path: Path, with_transactions: bool) -> None:
    duck = _run(tmp_path / "duckdb", with_transactions, EngineOptions(), buckets=1)
    assert duck.findings.num_rows > 50
    assert other.findings.equals(duck.findings)
    assert other.counts == duck.counts
    obs, tx = _combined()
    expected, _ = oracle.audit(obs, tx if with_transactions else None, oracle.Params())
    assert duck.rows() == expected
    rich_rules = {r["rule_id"] for r in duck.rows() if r["platform"] in ("tmall", "jd", "pdd")}
    assert rich_rules == {f"R{i}" for i in range(1, 8)}


@pytest.mark.spark
@pytest.mark.slow
# py4j closes its sockets lazily; their ResourceWarning at garbage collection is not ours.
@pytest.mark.filterwarnings(
    "ignore:Exception ignored in. <socket.socket:pytest.PytestUnraisableExceptionWarning"
)
@MODES
def test_duckdb_and_spark_find_the_same(
    spark: Any, tmp_path: Path, with_transactions: bool, buckets: int
) -> None:
    on_spark = _run(
        tmp_path / "spark", with_transactions, EngineOptions("spark", spark_session=spark), buckets
    )
    assert on_spark.manifest["engine"]["name"] == "spark"
    _assert_same_as_duckdb(on_spark, tmp_path, with_transactions)


@pytest.mark.postgres
@pytest.mark.skipif(not POSTGRES_URL, reason="needs TIANPING_TEST_POSTGRES_URL")
@MODES
def test_duckdb_and_postgres_find_the_same(tmp_path: Path, with_transactions: bool, buckets: int) -> None:
    on_pg = _run(
        tmp_path / "pg", with_transactions, EngineOptions("postgres", postgres_url=POSTGRES_URL), buckets
    )
    assert on_pg.manifest["engine"]["name"] == "postgres"
    _assert_same_as_duckdb(on_pg, tmp_path, with_transactions)
