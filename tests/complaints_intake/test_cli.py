"""``tianping complaints import|template|triage``: exit codes, per-row reports, idempotent re-import."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from tianping.cli import complaints_intake_cmd
from tianping.complaints.models import Ticket
from tianping.core.db import make_engine, set_engine
from tianping.migrate import upgrade

HEADERS = ["工单编号", "来电时间", "诉求类型", "来电人", "联系电话", "诉求地址", "被反映主体", "诉求内容"]


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


@pytest.fixture
def app() -> typer.Typer:
    application = typer.Typer()
    complaints_intake_cmd.register(application)
    return application


def _count(engine: Engine) -> int:
    with engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(Ticket)) or 0


def _write(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="gbk", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADERS)
        writer.writerows(rows)
    return path


def _row(i: int, phone: str = "13800001234") -> list[str]:
    return [
        f"GD-CLI-{i}",
        "2025-06-02 10:00",
        "投诉",
        "王某",
        phone,
        "北京市丰台区卢沟桥街道",
        "样例商店",
        f"商品质量问题{i}",
    ]


def test_template(app: typer.Typer, tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "t.xlsx"
    result = runner.invoke(app, ["template", "--channel", "12345", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes()[:2] == b"PK"
    bad = runner.invoke(app, ["template", "--channel", "9999", "--out", str(out)])
    assert bad.exit_code == 2 and "不支持的渠道" in bad.output


def test_import_reimport_and_errors(app: typer.Typer, cli_db: Engine, tmp_path: Path) -> None:
    runner = CliRunner()
    good = _write(tmp_path / "good.csv", [_row(1), _row(2)])
    result = runner.invoke(app, ["import", str(good), "--channel", "12345", "--no-triage"])
    assert result.exit_code == 0, result.output
    assert "新登记 2 条" in result.output and _count(cli_db) == 2
    again = runner.invoke(app, ["import", str(good), "--channel", "12345"])
    assert again.exit_code == 0 and "已存在 2 条" in again.output and _count(cli_db) == 2

    bad = _write(tmp_path / "bad.csv", [_row(3), _row(4, phone="555")])
    errors = tmp_path / "errors.csv"
    rejected = runner.invoke(app, ["import", str(bad), "--channel", "12345", "--errors", str(errors)])
    assert rejected.exit_code == 2
    assert _count(cli_db) == 2  # nothing of the bad file was written
    lines = errors.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0] == "行号,列,错误" and lines[1].startswith("3,联系电话,")

    not_sheet = tmp_path / "x.pdf"
    not_sheet.write_bytes(b"%PDF-1.4 nothing")
    refused = runner.invoke(app, ["import", str(not_sheet), "--channel", "12345"])
    assert refused.exit_code == 2 and "不支持的文件类型" in refused.output


def test_triage_pending(app: typer.Typer, cli_db: Engine, tmp_path: Path) -> None:
    runner = CliRunner()
    good = _write(tmp_path / "good.csv", [_row(5), _row(6)])
    assert runner.invoke(app, ["import", str(good), "--channel", "12345", "--no-triage"]).exit_code == 0
    with cli_db.connect() as conn:
        assert (
            conn.scalar(select(func.count()).select_from(Ticket).where(Ticket.category_code.is_(None))) == 2
        )
    result = runner.invoke(app, ["triage"])
    assert result.exit_code == 0 and "已分拣 2 件" in result.output
    with cli_db.connect() as conn:
        assert (
            conn.scalar(select(func.count()).select_from(Ticket).where(Ticket.category_code.is_(None))) == 0
        )
    assert "没有需要分拣的工单" in runner.invoke(app, ["triage"]).output
