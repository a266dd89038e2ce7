"""``tianping prices``: audit (summary line, output formats, exit codes), import, runs, resume."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from tests.price_audit import oracle
from tests.price_audit.support import rich_history, write_observations, write_transactions
from tianping.cli.main import app
from tianping.core.settings import reset_settings_cache


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("TIANPING_HOME", str(tmp_path / "home"))
    reset_settings_cache()
    yield tmp_path / "home"
    reset_settings_cache()


def _inputs(tmp_path: Path) -> tuple[Path, Path, list[oracle.Obs], list[oracle.Tx]]:
    obs, tx = rich_history()
    return write_observations(tmp_path / "obs.csv", obs), write_transactions(tmp_path / "tx.csv", tx), obs, tx


def test_audit_writes_csv_and_one_summary_line(home: Path, tmp_path: Path) -> None:
    obs_path, _, obs, _ = _inputs(tmp_path)
    out = tmp_path / "findings.csv"
    result = CliRunner().invoke(app, ["prices", "audit", str(obs_path), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    (line,) = result.stderr.strip().splitlines()
    assert "去除重复 1 条" in line and "历史数据不足 0 个" in line and "涉嫌问题 7 条" in line
    with out.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    expected, _ = oracle.audit(obs, None, oracle.Params())
    assert [r["rule_id"] for r in rows] == [f["rule_id"] for f in expected]
    first = rows[0]
    assert first["observed_at"] == "2025-06-01T10:00:00+08:00" and first["strike_price"] == "150.00"
    assert first["baseline_price"] == "100.00" and first["evidence"] == "proxy"
    assert rows[1]["baseline_price"] == ""  # R2 has no baseline


def test_audit_parameters_transactions_and_parquet(home: Path, tmp_path: Path) -> None:
    obs_path, tx_path, obs, tx = _inputs(tmp_path)
    out = tmp_path / "findings.parquet"
    args = [
        "prices",
        "audit",
        str(obs_path),
        "--transactions",
        str(tx_path),
        "--out",
        str(out),
        "--tolerance",
        "0.5",
        "--pair-window",
        "3",
        "--raise-ratio",
        "0.2",
        "--history-start",
        "2025-01-01",
        "--raise-window",
        "10",
        "--baseline-days",
        "30",
        "--overrun-days",
        "2",
        "--buckets",
        "2",
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    table = pq.read_table(out)
    params = oracle.Params(Decimal("0.5"), date(2025, 1, 1), 10, Decimal("0.2"), 30, 2, 3)
    expected, _ = oracle.audit(obs, tx, params)
    assert table.to_pylist() == expected
    assert str(table.schema.field("price").type) == "decimal128(18, 2)"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--out", "f.txt"], ".csv 或 .parquet"),
        (["--out", "f.csv", "--tolerance", "abc"], "--tolerance"),
        (["--out", "f.csv", "--history-start", "2025/01/01"], "--history-start"),
        (["--out", "f.csv", "--raise-window", "0"], "raise_window"),
        (["--out", "f.csv", "--backend", "polars"], "--backend"),
        ([], "--out"),
    ],
)
def test_bad_options_exit_2_with_one_line(home: Path, tmp_path: Path, args: list[str], message: str) -> None:
    obs_path, *_ = _inputs(tmp_path)
    result = CliRunner().invoke(app, ["prices", "audit", str(obs_path), *args])
    assert result.exit_code == 2
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("错误：") and message in line and "Traceback" not in result.output


def test_unusable_input_names_file_row_and_column(home: Path, tmp_path: Path) -> None:
    obs_path, tx_path, *_ = _inputs(tmp_path)
    lines = tx_path.read_text(encoding="utf-8").splitlines()
    lines[2] = lines[2].replace("98", "9.8.7")
    tx_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "f.csv"
    result = CliRunner().invoke(
        app, ["prices", "audit", str(obs_path), "--transactions", str(tx_path), "--out", str(out)]
    )
    assert result.exit_code == 2
    assert result.stderr.strip() == "错误：tx.csv 第 3 行 unit_price 列：不是金额：'9.8.7'"
    assert not out.exists()


def test_import_then_audit_the_store_and_list_runs(home: Path, tmp_path: Path) -> None:
    obs_path, tx_path, obs, tx = _inputs(tmp_path)
    runner = CliRunner()
    first = runner.invoke(app, ["prices", "import", str(obs_path)])
    assert first.exit_code == 0 and f"已导入 {len(obs)} 条观测记录" in first.stdout
    again = runner.invoke(app, ["prices", "import", str(obs_path)])
    assert again.exit_code == 0 and "跳过" in again.stdout
    assert runner.invoke(app, ["prices", "import", "--transactions", str(tx_path)]).exit_code == 0
    out = tmp_path / "store.csv"
    audited = runner.invoke(app, ["prices", "audit", "--out", str(out)])
    assert audited.exit_code == 0, audited.output
    expected, _ = oracle.audit(obs, tx, oracle.Params())
    assert len(out.read_text(encoding="utf-8").splitlines()) == 1 + len(expected)
    listed = runner.invoke(app, ["prices", "runs"])
    assert listed.exit_code == 0 and "finished" in listed.stdout

    bad = tmp_path / "bad.csv"
    bad.write_text("platform,shop_id,sku_id,observed_at\nt,s,k,2025-06-01\n", encoding="utf-8")
    rejected = runner.invoke(app, ["prices", "import", str(bad), "--errors-out", str(tmp_path / "e.csv")])
    assert rejected.exit_code == 2 and "第 1 行 price 列：缺少必填列 price" in rejected.stderr
    assert "price" in (tmp_path / "e.csv").read_text(encoding="utf-8-sig")


def test_resume_of_an_unknown_run(home: Path) -> None:
    result = CliRunner().invoke(app, ["prices", "audit", "--resume", "20250101T000000Z-abcdef"])
    assert result.exit_code == 2 and "没有编号为" in result.stderr
