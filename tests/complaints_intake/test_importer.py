"""Hotline imports: good CSV/XLSX, mapping files, broken files (nothing written), re-import, template."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.complaints_intake.support import make_world
from tianping.complaints.import_columns import import_template
from tianping.complaints.importer import run_import, write_error_report
from tianping.complaints.models import Ticket
from tianping.core.errors import FileRejected, ImportRejected

HEADERS_12345 = [
    *("工单编号", "来电时间", "诉求类型", "紧急程度", "来电人", "联系电话", "诉求地址"),
    *("被反映主体", "诉求标题", "诉求内容", "诉求", "涉及金额", "订单号", "平台名称"),
]


def _rows(n: int = 3) -> list[list[str]]:
    rows = []
    for i in range(n):
        rows.append(
            [
                f"GD20250601{i:04d}",
                f"2025-06-0{1 + i % 5} 09:3{i % 10}",
                "投诉" if i % 3 else "投诉举报",
                "一般",
                f"测试{i}",
                f"1380000{i:04d}",
                "北京市丰台区卢沟桥街道示例路1号",
                "示例美容美发店",
                "美容卡退费难",
                f"在示例美容美发店办理美容卡，门店停业无法退费，第{i}号。",
                "退还剩余预付款",
                "2100.00",
                "",
                "",
            ]
        )
    return rows


def _csv(rows: list[list[str]], headers: list[str] = HEADERS_12345, encoding: str = "utf-8-sig") -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def _xlsx(rows: list[list[str]], headers: list[str] = HEADERS_12345) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Ticket)) or 0


def _import(session: Session, actor, data: bytes, filename: str = "export.csv", **kw):  # type: ignore[no-untyped-def]
    options = {"channel": "12345", "mapping": None, "dry_run": False} | kw
    return run_import(session=session, data=data, filename=filename, actor=actor, **options)


def test_good_csv_in_gbk_imports_splits_and_triages(db_session: Session) -> None:
    world = make_world(db_session)
    report = _import(db_session, world.officer, _csv(_rows(3), encoding="gbk"))
    assert (report.total_rows, report.created, report.existing) == (3, 3, 0)
    assert report.tickets == 4  # row 0 is 投诉举报: two tickets (第七条)
    assert report.triaged == 4
    tickets = db_session.scalars(select(Ticket).where(Ticket.channel == "12345").order_by(Ticket.id)).all()
    assert len(tickets) == 4
    assert tickets[0].external_id == "GD202506010000" and tickets[0].split_of_id == tickets[1].id
    assert all(t.entity_id == world.salon for t in tickets)
    assert str(tickets[0].amount) == "2100.00"
    assert tickets[0].received_at.isoformat().startswith("2025-06-01T01:30")  # 09:30 Beijing = 01:30 UTC
    assert "已存在 0 条" in report.summary()


def test_reimport_changes_nothing(db_session: Session) -> None:
    world = make_world(db_session)
    data = _xlsx(_rows(4))
    _import(db_session, world.officer, data, filename="export.xlsx")
    before = _count(db_session)
    again = _import(db_session, world.officer, data, filename="export.xlsx")
    assert (again.created, again.existing) == (0, 4)
    assert _count(db_session) == before
    assert "已存在 4 条" in again.summary()


def test_dry_run_writes_nothing(db_session: Session) -> None:
    world = make_world(db_session)
    before = _count(db_session)
    report = _import(db_session, world.officer, _csv(_rows(2)), dry_run=True)
    assert report.created == 2 and report.dry_run and _count(db_session) == before


def test_mapping_file_renames_columns(db_session: Session) -> None:
    world = make_world(db_session)
    headers = ["工单号码", *HEADERS_12345[1:9], "来电详情", *HEADERS_12345[10:]]
    mapping = "external_id: 工单号码\ntext: 来电详情\n".encode()
    report = _import(db_session, world.officer, _csv(_rows(2), headers=headers), mapping=mapping)
    assert report.created == 2
    with pytest.raises(FileRejected, match="未知字段"):
        _import(db_session, world.officer, _csv(_rows(2), headers=headers), mapping=b"nonsense: x")


@pytest.mark.parametrize(
    ("column", "value", "fragment"),
    [
        ("来电时间", "2025-13-40 09:30", "日期时间"),
        ("来电时间", "明天上午", "日期时间格式不正确"),
        ("联系电话", "12345", "联系电话格式不正确"),
        ("诉求类型", "表扬", "无法识别"),
        ("涉及金额", "12.345", "两位小数"),
        ("诉求内容", "", "必填"),
    ],
)
def test_bad_row_rejects_whole_file(db_session: Session, column: str, value: str, fragment: str) -> None:
    world = make_world(db_session)
    rows = _rows(3)
    rows[2][HEADERS_12345.index(column)] = value
    before = _count(db_session)
    with pytest.raises(ImportRejected) as info:
        _import(db_session, world.officer, _csv(rows))
    assert _count(db_session) == before
    [error] = info.value.row_errors
    assert (error.row, error.column) == (4, column) and fragment in error.message
    report = write_error_report(info.value.row_errors).decode("utf-8-sig")
    assert report.splitlines()[0] == "行号,列,错误" and column in report


def test_duplicate_rows_and_conflicting_reimport_are_row_errors(db_session: Session) -> None:
    world = make_world(db_session)
    rows = _rows(3)
    rows[2][0] = rows[0][0]
    with pytest.raises(ImportRejected) as info:
        _import(db_session, world.officer, _csv(rows))
    assert info.value.row_errors[0].row == 4 and "第 2 行" in info.value.row_errors[0].message
    _import(db_session, world.officer, _csv(_rows(2)))
    changed = _rows(2)
    changed[1][9] = "内容被改过了"
    before = _count(db_session)
    with pytest.raises(ImportRejected) as conflict:
        _import(db_session, world.officer, _csv(changed))
    assert conflict.value.row_errors[0].column == "诉求内容" and _count(db_session) == before


@pytest.mark.parametrize(
    ("data", "filename", "fragment"),
    [
        (
            _csv([["GD1", "2025-06-01 09:30", "投诉"]], headers=["工单编号", "来电时间", "诉求类型"]),
            "a.csv",
            "缺少必需的列",
        ),
        (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, "a.png", "不支持的文件类型"),
        (b"PK\x03\x04 not really a zip", "a.xlsx", "XLSX"),
        (bytes(range(128, 256)) * 50, "a.csv", ""),
        (b"", "a.csv", "文件为空"),
    ],
)
def test_broken_files_are_rejected_whole(
    db_session: Session, data: bytes, filename: str, fragment: str
) -> None:
    world = make_world(db_session)
    before = _count(db_session)
    with pytest.raises((FileRejected, ImportRejected)) as info:
        _import(db_session, world.officer, data, filename=filename)
    assert fragment in info.value.message
    assert _count(db_session) == before


def test_12315_export_and_template(db_session: Session, tmp_path: Path) -> None:
    world = make_world(db_session)
    template = import_template("12315")
    workbook = load_workbook(io.BytesIO(template))
    assert workbook.sheetnames == ["12315工单", "列说明"]
    headers = [c.value for c in workbook.worksheets[0][1]]
    assert headers[0] == "登记编号*" and "投诉内容*" in headers
    # The template itself (with its example row) imports cleanly.
    report = _import(db_session, world.officer, template, filename="t.xlsx", channel="12315")
    assert report.created == 1
    ticket = db_session.scalars(select(Ticket).where(Ticket.external_id == "DJ202506010001")).one()
    assert ticket.channel == "12315" and ticket.title.startswith("办理健身年卡")
    path = tmp_path / "errors.csv"
    write_error_report([], path)
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
