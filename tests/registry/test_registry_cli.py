"""``tianping registry``: template, import (with per-row errors and exit codes), search, reindex."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from tests.registry.registry_support import uscc
from tianping.cli.registry_cmd import app
from tianping.core.db import make_engine, set_engine
from tianping.migrate import upgrade
from tianping.registry import IMPORT_COLUMNS, MarketEntity


@pytest.fixture
def cli_db(tmp_path: Path) -> Iterator[Engine]:
    """Commands commit their own unit of work: give them a database of their own."""
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    upgrade(url)
    engine = make_engine(url=url)
    set_engine(engine)
    yield engine
    set_engine(None)
    engine.dispose()


def _count(engine: Engine) -> int:
    with engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(MarketEntity)) or 0


def _write(path: Path, rows: list[dict[str, str]], headers: list[str] | None = None) -> Path:
    with path.open("w", encoding="gbk", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(headers or list(IMPORT_COLUMNS.values()))
        for row in rows:
            writer.writerow([row.get(key, "") for key in IMPORT_COLUMNS])
    return path


GOOD = [
    {"name": "示例外卖平台（北京）科技有限公司", "kind": "平台", "uscc": uscc(501), "aliases": "示例外卖"},
    {"name": "京西示范餐馆", "kind": "平台内经营者", "external_id": "CLI-1", "platform": uscc(501)},
    {
        "name": "京西示范美容美发店",
        "kind": "个体工商户",
        "uscc": uscc(502, category="2"),
        "division_code": "110108",
    },
]


def test_template(tmp_path: Path) -> None:
    runner = CliRunner()
    for name in ("t.xlsx", "t.csv"):
        result = runner.invoke(app, ["template", "--out", str(tmp_path / name)])
        assert result.exit_code == 0, result.output
        assert (tmp_path / name).stat().st_size > 100
    with (tmp_path / "t.csv").open(encoding="utf-8-sig") as handle:
        header = next(csv.reader(handle))
    assert header == list(IMPORT_COLUMNS.values())
    bad = runner.invoke(app, ["template", "--out", str(tmp_path / "t.txt")])
    assert bad.exit_code == 2 and bad.stderr.startswith("错误：") and "Traceback" not in bad.output


def test_import_reimport_search_reindex(tmp_path: Path, cli_db: Engine) -> None:
    runner = CliRunner()
    path = _write(tmp_path / "good.csv", GOOD)
    dry = runner.invoke(app, ["import", str(path), "--dry-run"])
    assert dry.exit_code == 0 and "校验通过（未写入）" in dry.stdout and _count(cli_db) == 0
    first = runner.invoke(app, ["import", str(path)])
    assert first.exit_code == 0, first.output
    assert "新增 3 条" in first.stdout and _count(cli_db) == 3
    again = runner.invoke(app, ["import", str(path)])
    assert "新增 0 条" in again.stdout and "无变化 3 条" in again.stdout
    found = runner.invoke(app, ["search", "示列外卖", "--limit", "5"])
    assert found.exit_code == 0 and "示例外卖平台" in found.stdout
    assert "没有找到" in runner.invoke(app, ["search", "完全无关的名字"]).stdout
    rebuilt = runner.invoke(app, ["reindex"])
    assert rebuilt.exit_code == 0 and "3 个经营主体" in rebuilt.stdout


def test_import_with_mapping_file(tmp_path: Path, cli_db: Engine) -> None:
    path = tmp_path / "mapped.csv"
    path.write_text(f"企业名称,主体类别,信用代码\n北京示范书店有限公司,企业,{uscc(503)}\n", encoding="utf-8")
    mapping = tmp_path / "mapping.json"
    mapping.write_text('{"name": "企业名称", "kind": "主体类别", "uscc": "信用代码"}', encoding="utf-8")
    result = CliRunner().invoke(app, ["import", str(path), "--mapping", str(mapping)])
    assert result.exit_code == 0, result.output
    mapping.write_text("{broken", encoding="utf-8")
    broken = CliRunner().invoke(app, ["import", str(path), "--mapping", str(mapping)])
    assert broken.exit_code == 2 and "JSON" in broken.stderr


def test_row_errors_exit_2_with_a_report(tmp_path: Path, cli_db: Engine) -> None:
    rows = [
        {"name": f"北京示范{i}号有限公司", "kind": "企业", "uscc": "91110108000000000X"} for i in range(60)
    ]
    path = _write(tmp_path / "bad.csv", rows)
    errors_out = tmp_path / "errors.csv"
    result = CliRunner().invoke(app, ["import", str(path), "--errors-out", str(errors_out)])
    assert result.exit_code == 2
    assert "未写入任何数据" in result.stderr and "另有 10 条错误未显示" in result.stderr
    assert "Traceback" not in result.output and _count(cli_db) == 0
    with errors_out.open(encoding="utf-8-sig") as handle:
        written = list(csv.reader(handle))
    assert written[0] == ["行号", "列", "问题"] and len(written) == 61
    assert written[1][:2] == ["2", "统一社会信用代码"]


def test_file_errors_are_one_line(tmp_path: Path, cli_db: Engine) -> None:
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"not a spreadsheet at all")
    result = CliRunner().invoke(app, ["import", str(broken)])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("错误：") and "XLSX" in lines[0]
    missing = _write(tmp_path / "missing.csv", [], headers=["注册地址"])
    result = CliRunner().invoke(app, ["import", str(missing)])
    assert result.exit_code == 2 and "缺少必需的列" in result.stderr
