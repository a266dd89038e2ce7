"""The benchmark's generator: deterministic by seed; DuckDB finds exactly its planted violations."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from bench.price_audit_gen import KINDS, generate, planted_keys, slots

from tianping.price_audit import run_audit


def _finding_keys(table: pa.Table) -> set[tuple[object, ...]]:
    cols = ("rule_id", "platform", "shop_id", "sku_id", "episode_start")
    return set(zip(*(table.column(c).to_pylist() for c in cols), strict=True))


def test_same_seed_same_bytes_other_seed_other_data(tmp_path: Path) -> None:
    a = generate(tmp_path / "a", series=40, days=30, seed=5, chunk_series=16)
    b = generate(tmp_path / "b", series=40, days=30, seed=5, chunk_series=16)
    c = generate(tmp_path / "c", series=40, days=30, seed=6, chunk_series=16)
    assert pq.read_table(a.observations).equals(pq.read_table(b.observations))
    assert planted_keys(a.planted) == planted_keys(b.planted)
    assert not pq.read_table(a.observations).equals(pq.read_table(c.observations))
    assert a.rows == pq.read_metadata(a.observations).num_rows > 40 * 30


def test_slots_fit_the_days() -> None:
    assert slots(29) == 1 and slots(58) == 1 and slots(59) == 2 and slots(120) == 4
    assert abs(sum(w for _, w in KINDS) - 1.0) < 1e-9


def test_duckdb_finds_exactly_the_planted_violations(tmp_path: Path) -> None:
    gen = generate(tmp_path / "gen", series=50, days=30, seed=3, chunk_series=20)
    planted = planted_keys(gen.planted)
    # With 50 SKUs at least five different rules are planted, each on a known series and day.
    assert len({key[0] for key in planted}) >= 5
    run = run_audit(observations=gen.observations, home=tmp_path / "home")
    assert _finding_keys(run.findings) == planted
    assert run.counts["duplicates_dropped"] == 0
    assert run.counts["insufficient_history"] == 0


@pytest.mark.parametrize("seed", [11, 12])
def test_every_rule_planted_and_found_over_several_slots(tmp_path: Path, seed: int) -> None:
    gen = generate(tmp_path / "gen", series=120, days=90, seed=seed, chunk_series=50)
    planted = planted_keys(gen.planted)
    assert {key[0] for key in planted} == {"R1", "R2", "R3", "R4", "R5", "R6", "R7"}
    run = run_audit(observations=gen.observations, home=tmp_path / "home")
    assert _finding_keys(run.findings) == planted
