"""The edges: ``tianping reports monthly|opendata`` (exit codes) and the KPI API routes."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from tests.complaints_kpi.kpi_support import PARTY_NAMES, PARTY_PHONES, build_world
from tests.factories import login, make_user
from tianping.cli.reports_cmd import app
from tianping.core.authz import Role
from tianping.core.db import make_engine, set_engine
from tianping.migrate import upgrade


@pytest.fixture
def cli_db(tmp_path: Path) -> Iterator[Engine]:
    """Commands commit their own unit of work: give them a database of their own, with the world."""
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    upgrade(url)
    engine = make_engine(url=url)
    with Session(engine) as session:
        build_world(session)
        session.commit()
    set_engine(engine)
    yield engine
    set_engine(None)
    engine.dispose()


def test_cli_monthly(tmp_path: Path, cli_db: Engine) -> None:
    runner = CliRunner()
    out = tmp_path / "2025-06.xlsx"
    result = runner.invoke(app, ["monthly", "2025-06", "--out", str(out)])
    assert result.exit_code == 0, result.output
    wb = load_workbook(out)
    assert wb.sheetnames[0] == "汇总" and "逾期工单" in wb.sheetnames
    district = runner.invoke(
        app, ["monthly", "2025-06", "--out", str(tmp_path / "hd.xlsx"), "--district", "110108"]
    )
    assert district.exit_code == 0, district.output
    rows = [r[0] for r in load_workbook(tmp_path / "hd.xlsx")["区"].iter_rows(min_row=2, values_only=True)]
    assert rows == ["海淀区", "合计"]
    for args, reason in (
        (["monthly", "2025-13", "--out", str(out)], "月份格式"),
        (["monthly", "June", "--out", str(out)], "月份格式"),
        (["monthly", "2025-06", "--out", str(tmp_path / "x.csv")], ".xlsx"),
        (["monthly", "2025-06", "--out", str(out), "--district", "999999"], "区县代码"),
        (
            ["opendata", "--from", "2025-06-31", "--to", "2025-07-01", "--out", str(tmp_path / "o.csv")],
            "--from",
        ),
        (
            ["opendata", "--from", "2025-07-01", "--to", "2025-06-01", "--out", str(tmp_path / "o.csv")],
            "结束日期",
        ),
    ):
        bad = runner.invoke(app, args)
        assert bad.exit_code == 2, (args, bad.output)
        assert reason in bad.output and "Traceback" not in bad.output


def test_cli_opendata(tmp_path: Path, cli_db: Engine) -> None:
    out = tmp_path / "open.csv"
    result = CliRunner().invoke(
        app, ["opendata", "--from", "2025-01-01", "--to", "2025-06-30", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "已导出 20 行" in result.output
    text = out.read_text(encoding="utf-8-sig")
    assert text.startswith("编号,收到日期")
    assert not any(secret in text for secret in (*PARTY_NAMES, *PARTY_PHONES))


def test_api_routes(client: TestClient, db_session: Session) -> None:
    build_world(db_session)
    make_user(db_session, "kpi_officer", Role.OFFICER)
    login(client, "kpi_officer")
    data = client.get("/api/v1/complaints/kpi", params={"month": "2025-06"})
    assert data.status_code == 200, data.text
    body = data.json()
    assert body["formula_id"] == "2025.1"
    assert {f["key"]: f["display"] for f in body["headline"]}["resolution_raw"] == "50.0%"
    filtered = client.get("/api/v1/complaints/kpi", params={"month": "2025-06", "district": "110108"}).json()
    assert {f["key"]: f["value"] for f in filtered["headline"]}["volume"] == 3
    assert client.get("/api/v1/complaints/kpi", params={"month": "2025-6"}).status_code == 422
    assert client.get("/api/v1/complaints/kpi", params={"month": "2025-13"}).status_code == 422
    xlsx = client.get("/api/v1/complaints/reports/monthly/2025-06.xlsx")
    assert xlsx.status_code == 200 and xlsx.headers["content-type"].startswith("application/vnd.openxml")
    assert load_workbook(io.BytesIO(xlsx.content))["区"].cell(row=2, column=2).value == 13
    csv_resp = client.get(
        "/api/v1/complaints/opendata.csv", params={"from": "2025-06-01", "to": "2025-06-30"}
    )
    assert csv_resp.status_code == 200 and csv_resp.content.decode("utf-8-sig").count("\n") == 17


def test_api_needs_a_user(client: TestClient) -> None:
    assert client.get("/api/v1/complaints/kpi", params={"month": "2025-06"}).status_code == 401
    assert (
        client.get(
            "/api/v1/complaints/opendata.csv", params={"from": "2025-06-01", "to": "2025-06-30"}
        ).status_code
        == 401
    )
