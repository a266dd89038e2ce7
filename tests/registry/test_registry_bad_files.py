"""Whole bad files through the real edges, at default settings: a clear error and nothing written.

The command line runs as a real process (exit code 2, one line on stderr, no traceback); the API takes
real multipart uploads.
"""

from __future__ import annotations

import io
import os
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.factories import login, make_user
from tests.registry.registry_support import uscc
from tianping.core.authz import Role
from tianping.registry import IMPORT_COLUMNS, MarketEntity

HEADER = ",".join(IMPORT_COLUMNS)


def _tianping(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).with_name("tianping")
    env = {k: v for k, v in os.environ.items() if not k.startswith("TIANPING_")}
    env["TIANPING_HOME"] = str(home)
    return subprocess.run([str(exe), *args], env=env, capture_output=True, text=True, timeout=300)


def _fifty_megabytes(path: Path) -> Path:
    row = f"北京示范商贸有限公司,企业,{uscc(1)},,,北京市海淀区示范路1号,110108,F,存续,,,,,,\n"
    with path.open("w", encoding="utf-8") as fh:
        fh.write(HEADER + "\n")
        fh.write(row * (50 * 1024 * 1024 // len(row.encode("utf-8")) + 1))
    assert path.stat().st_size >= 50 * 1024 * 1024
    return path


def _count(home: Path) -> int:
    with sqlite3.connect(home / "tianping.db") as conn:
        return int(conn.execute("SELECT count(*) FROM registry_entity").fetchone()[0])


@pytest.mark.slow
def test_cli_refuses_bad_files_with_one_line_and_exit_2(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert _tianping(home, "db", "upgrade").returncode == 0
    good = tmp_path / "good.csv"
    good.write_text(
        HEADER + "\n" + f"北京示范商贸有限公司,企业,{uscc(7)},,,,110108,F,存续,,,,,,\n", encoding="utf-8"
    )
    assert _tianping(home, "registry", "import", str(good)).returncode == 0
    assert _count(home) == 1

    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            for _ in range(300):
                member.write(bytes(1 << 20))
    gbk_bad = tmp_path / "gbk.csv"
    gbk_bad.write_bytes(
        (HEADER + "\n" + "北京示范商贸有限公司,企业,91110108MA0000000X,,,,110108,F,,,,,,,\n").encode("gbk")
    )
    missing = tmp_path / "missing.csv"
    missing.write_text("名称,类型\n北京示范,企业\n", encoding="utf-8")
    cases = {
        _fifty_megabytes(tmp_path / "big.csv"): "文件过大",
        bomb: "压缩炸弹",
        gbk_bad: "统一社会信用代码",
        missing: "缺少",
        tmp_path / "nope.csv": "",
    }
    for path, expected in cases.items():
        result = _tianping(home, "registry", "import", str(path))
        assert result.returncode == 2, (path.name, result.stdout[-500:], result.stderr[-500:])
        assert "Traceback" not in result.stderr + result.stdout, path.name
        assert result.stderr.strip(), path.name
        assert expected in result.stderr + result.stdout, (path.name, result.stderr)
    assert _count(home) == 1  # nothing written by any refused file


@pytest.mark.slow
def test_api_upload_of_a_50_mb_file_is_a_clean_4xx(
    client: TestClient, db_session: Session, tmp_path: Path
) -> None:
    make_user(db_session, "importer", Role.OFFICER)
    csrf = login(client, "importer")
    before = db_session.scalar(select(func.count()).select_from(MarketEntity))
    data = _fifty_megabytes(tmp_path / "big.csv").read_bytes()
    resp = client.post(
        "/api/v1/entities/import",
        headers={"X-CSRF-Token": csrf},
        files={"file": ("big.csv", io.BytesIO(data), "text/csv")},
    )
    assert resp.status_code in (413, 422), resp.text[:300]
    assert "文件过大" in resp.json()["detail"]
    assert db_session.scalar(select(func.count()).select_from(MarketEntity)) == before
