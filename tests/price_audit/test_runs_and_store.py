"""Runs record what they read and did, resume after an interruption; the store imports idempotently."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tests.price_audit import oracle
from tests.price_audit.support import random_history, rich_history, write_observations, write_transactions
from tianping.core.errors import NotFound, ValidationFailed
from tianping.price_audit import (
    AuditParams,
    EngineOptions,
    InputKind,
    import_observations,
    list_runs,
    load_run,
    observation_store,
    resume_audit,
    run_audit,
)
from tianping.price_audit.io import InputRejected, file_sha256


class Interrupted(Exception):
    pass


def test_manifest_records_inputs_params_engine_and_counts(tmp_path: Path) -> None:
    obs, tx = rich_history()
    obs_path = write_observations(tmp_path / "obs.csv", obs)
    tx_path = write_transactions(tmp_path / "tx.csv", tx)
    out = tmp_path / "findings.csv"
    run = run_audit(
        observations=obs_path,
        transactions=tx_path,
        out=out,
        home=tmp_path,
        params=AuditParams(tolerance="0.01", pair_window=5),
    )  # type: ignore[arg-type]
    manifest = json.loads((run.run_dir / "run.json").read_text(encoding="utf-8"))
    assert manifest == run.manifest
    assert manifest["status"] == "finished" and manifest["finished_at"] >= manifest["started_at"]
    assert manifest["inputs"]["observations"]["sha256"] == file_sha256(obs_path)
    assert manifest["inputs"]["transactions"]["rows"] == len(tx)
    assert manifest["params"]["tolerance"] == "0.01" and manifest["params"]["pair_window"] == 5
    assert manifest["engine"]["name"] == "duckdb" and "duckdb" in manifest["engine"]["versions"]
    assert manifest["history_start"] == "2025-04-01"
    assert manifest["output"] == {
        "path": str(out.resolve()),
        "sha256": file_sha256(out),
        "rows": run.findings.num_rows,
    }
    assert [r["id"] for r in manifest["rules"]] == [f"R{i}" for i in range(1, 8)]
    assert manifest["counts"]["observations"] == len(obs) and manifest["counts"]["duplicates_dropped"] == 1
    assert sum(manifest["counts"]["by_rule"].values()) == run.findings.num_rows
    assert load_run(run.run_id, home=tmp_path).findings.equals(run.findings)
    assert [m["run_id"] for m in list_runs(home=tmp_path)] == [run.run_id]
    with pytest.raises(NotFound):
        load_run("no-such-run", home=tmp_path)


def test_an_interrupted_run_resumes_from_its_finished_buckets(tmp_path: Path) -> None:
    obs, _ = random_history(7, rows=300)
    obs_path = write_observations(tmp_path / "obs.csv", obs)
    calls: list[tuple[int, int]] = []

    def stop_after_first_bucket(phase: str, done: int, total: int) -> None:
        if phase == "审计分桶":
            calls.append((done, total))
            if done == 1 and total == 4:
                raise Interrupted

    with pytest.raises(Interrupted):
        run_audit(observations=obs_path, home=tmp_path, buckets=4, progress=stop_after_first_bucket)
    (half,) = list_runs(home=tmp_path)
    assert half["status"] == "running" and half["completed_buckets"] == [0]
    first_part = tmp_path / "price_audit" / "runs" / half["run_id"] / "parts" / "bucket-0000.parquet"
    written = first_part.stat().st_mtime_ns

    calls.clear()
    run = resume_audit(half["run_id"], home=tmp_path, progress=lambda p, d, t: calls.append((d, t)))
    assert first_part.stat().st_mtime_ns == written  # bucket 0 was not computed again
    assert run.manifest["status"] == "finished" and run.manifest["completed_buckets"] == [0, 1, 2, 3]
    expected, counts = oracle.audit(obs, None, oracle.Params())
    assert run.rows() == expected
    assert run.counts["duplicates_dropped"] == counts["duplicates_dropped"]
    with pytest.raises(ValidationFailed):
        resume_audit(half["run_id"], home=tmp_path, engine=EngineOptions("spark"))  # not its engine


def test_unusable_input_leaves_no_run(tmp_path: Path) -> None:
    bad = tmp_path / "obs.csv"
    bad.write_text("platform,shop_id,sku_id,observed_at,price\nt,s,k,2025-06-01,free\n", encoding="utf-8")
    with pytest.raises(InputRejected):
        run_audit(observations=bad, home=tmp_path, out=tmp_path / "f.csv")
    assert list_runs(home=tmp_path) == [] and not (tmp_path / "f.csv").exists()
    with pytest.raises(ValidationFailed):
        run_audit(observations=bad, home=tmp_path, out=tmp_path / "f.xlsx")


def test_store_imports_once_and_audits(tmp_path: Path) -> None:
    obs, tx = rich_history()
    half = len(obs) // 2
    first = write_observations(tmp_path / "a.csv", obs[:half])
    second = write_observations(tmp_path / "b.csv", obs[half:])
    outcomes = import_observations([first, second], home=tmp_path)
    assert [(o.rows, o.skipped) for o in outcomes] == [(half, False), (len(obs) - half, False)]
    again = import_observations([first, tmp_path / "a.csv"], home=tmp_path)
    assert [o.skipped for o in again] == [True, True]
    store = observation_store(tmp_path)
    assert store.rows(InputKind.OBSERVATIONS) == len(obs) and len(store.parts()) == 2

    import_observations(
        [write_transactions(tmp_path / "tx.csv", tx)], kind=InputKind.TRANSACTIONS, home=tmp_path
    )
    run = run_audit(observations=None, home=tmp_path)
    assert run.manifest["inputs"]["observations"]["source"] == "store"
    assert run.manifest["inputs"]["observations"]["fingerprint"] == store.fingerprint(InputKind.OBSERVATIONS)
    expected, _ = oracle.audit(obs, tx, oracle.Params())
    assert run.rows() == expected

    # A bad file among good ones: nothing of the batch is written.
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "platform,shop_id,sku_id,observed_at,price\nt,s,k,2025-06-01,1\nt,s,k,,1\n", encoding="utf-8"
    )
    fresh = write_observations(tmp_path / "c.csv", obs[:3])
    with pytest.raises(InputRejected) as caught:
        import_observations([fresh, bad], home=tmp_path)
    assert caught.value.source == bad and caught.value.row_errors[0].row == 3
    assert len(store.parts()) == 3  # the two observation parts and the transactions
    assert sorted(p.name for p in (store.root / "observations").iterdir()) == sorted(
        Path(p.file).name for p in store.parts(InputKind.OBSERVATIONS)
    )


def test_store_keeps_the_last_import_of_a_duplicate(tmp_path: Path) -> None:
    obs, _ = rich_history()
    import_observations([write_observations(tmp_path / "a.csv", obs)], home=tmp_path)
    import_observations([write_observations(tmp_path / "b.csv", obs[-3:])], home=tmp_path)  # re-observed
    run = run_audit(observations=None, home=tmp_path)
    assert run.counts["duplicates_dropped"] == 1 + 3
    parts = observation_store(tmp_path).paths(InputKind.OBSERVATIONS)
    seqs = [pq.read_table(p).column("seq").to_pylist() for p in parts]
    assert max(seqs[0]) < min(seqs[1])  # later imports come later in input order
