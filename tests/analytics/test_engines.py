"""The engine layer: connecting, registering inputs, and exact types on the way back."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import ibis
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tianping import analytics
from tianping.analytics import EngineUnavailable

POSTGRES_URL = os.environ.get("TIANPING_TEST_POSTGRES_URL", "").strip()
BIG = 2**60 + 1  # not representable as a double: proves no float round trip


def _sample() -> pa.Table:
    return pa.table(
        {
            "n": pa.array([BIG, None, 7], pa.int64()),
            "day": pa.array([date(2025, 6, 1), None, date(2025, 1, 31)], pa.date32()),
            "at": pa.array(
                [datetime(2025, 6, 1, 2, 0, tzinfo=UTC), None, datetime(2025, 1, 1, tzinfo=UTC)],
                pa.timestamp("us", tz="UTC"),
            ),
            "yuan": pa.array([Decimal("199.00"), None, Decimal("0.01")], pa.decimal128(18, 2)),
            "label": pa.array(["限时直降", None, ""], pa.string()),
        }
    )


def _roundtrip(engine: analytics.Engine, table: ibis.Table) -> pa.Table:
    expr = table.mutate(later=table.day + ibis.interval(days=1)).order_by(table.n.desc())
    return analytics.to_arrow(engine, expr)


def _check(result: pa.Table) -> None:
    assert sorted(result.column("n").to_pylist(), key=lambda n: -1 if n is None else n) == [None, 7, BIG]
    rows = {r["n"]: r for r in result.to_pylist()}
    assert rows[BIG]["at"] == datetime(2025, 6, 1, 2, 0, tzinfo=UTC)
    assert rows[BIG]["yuan"] == Decimal("199.00") and rows[7]["yuan"] == Decimal("0.01")
    assert rows[BIG]["label"] == "限时直降" and rows[None]["label"] is None
    assert rows[7]["later"] == date(2025, 2, 1)
    assert result.schema.field("at").type == pa.timestamp("us", tz="UTC")


def test_duckdb_roundtrip_from_arrow_and_parquet(tmp_path: Path) -> None:
    engine = analytics.connect("duckdb", temp_dir=tmp_path / "spill", memory_limit="1GB", threads=1)
    try:
        _check(_roundtrip(engine, analytics.register_arrow(engine, _sample(), "sample")))
        pq.write_table(_sample(), tmp_path / "a.parquet")
        pq.write_table(_sample(), tmp_path / "b.parquet")
        both = analytics.register_parquet(engine, [tmp_path / "a.parquet", tmp_path / "b.parquet"], "files")
        assert analytics.scalar(engine, both.count()) == 6
        assert analytics.scalar(engine, both.day.min()) == date(2025, 1, 31)
        assert engine.versions["duckdb"] and engine.description.startswith("duckdb")
    finally:
        engine.close()


def test_unknown_backend_and_postgres_without_url() -> None:
    with pytest.raises(ValueError):
        analytics.connect("polars")
    with pytest.raises(EngineUnavailable, match="URL"):
        analytics.connect("postgres")
    with pytest.raises(EngineUnavailable, match="not a PostgreSQL URL"):
        analytics.connect("postgres", postgres_url="mysql://u@h/db")


def test_unreachable_postgres_is_a_clear_error() -> None:
    with pytest.raises(EngineUnavailable, match="unreachable"):
        analytics.connect("postgres", postgres_url="postgresql://nobody@127.0.0.1:1/none?connect_timeout=2")


def test_spark_unavailable_reason_names_what_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.delenv("JAVA_HOME", raising=False)
    assert "Java" in (analytics.spark_unavailable_reason() or "")
    with pytest.raises(EngineUnavailable, match="Java"):
        analytics.spark_session("local[1]")


@pytest.mark.spark
@pytest.mark.filterwarnings(
    "ignore:Exception ignored in. <socket.socket:pytest.PytestUnraisableExceptionWarning"
)
def test_spark_roundtrip_from_parquet(spark: Any, tmp_path: Path) -> None:
    engine = analytics.connect("spark", spark_session_obj=spark)
    pq.write_table(_sample(), tmp_path / "a.parquet")
    table = analytics.register_parquet(engine, [tmp_path / "a.parquet"], "sample_spark")
    _check(_roundtrip(engine, table))
    assert engine.description.startswith("spark (local") and engine.versions["pyspark"]
    with pytest.raises(ValueError, match="Parquet"):
        analytics.register_arrow(engine, _sample(), "nope")
    engine.close()  # a session it did not start stays up
    assert spark.sparkContext._jsc is not None


@pytest.mark.postgres
@pytest.mark.skipif(not POSTGRES_URL, reason="needs TIANPING_TEST_POSTGRES_URL")
def test_postgres_roundtrip(tmp_path: Path) -> None:
    engine = analytics.connect("postgres", postgres_url=POSTGRES_URL)
    try:
        _check(_roundtrip(engine, analytics.register_arrow(engine, _sample(), "tp_sample")))
        assert "***" in engine.description or "@" in engine.description
    finally:
        engine.close()
