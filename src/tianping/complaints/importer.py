"""Importing hotline exports (12345 / 12315 work orders) from CSV or XLSX.

* The file is read with the registry's guarded reader (size, zip-bomb check, encoding detection).
* Columns are found by their default headers (or aliases) or by a mapping file
  (:mod:`import_columns`).
* Every row is validated into a :class:`~tianping.complaints.schemas.TicketIn`; any invalid row rejects
  the whole file with a per-row report (row number, column header, zh-CN reason) and **nothing is
  written** (:class:`~tianping.core.errors.ImportRejected`).
* Idempotent: a row whose work-order number is already registered for the channel with the same
  content is counted as "已存在" and left alone; with different content it is an error row.
* ``triage=False`` (CLI ``--no-triage``) registers without triage, for speed; run
  ``tianping complaints triage`` afterwards (batched).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from tianping.core import audit
from tianping.core.authz import Actor, Perm
from tianping.core.errors import ImportRejected, RowError
from tianping.core.messages import translate
from tianping.core.timeutil import local_zone
from tianping.registry.tabular import read_sheet

from .import_columns import Column, columns_for, import_template, parse_mapping, resolve_columns
from .intake import existing_by_external, first_difference, register_many
from .models import Channel
from .schemas import TicketIn
from .taxonomy import Taxonomy, load_taxonomy
from .triage import triage_many

__all__ = ["ImportReport", "import_template", "parse_rows", "plan_import", "run_import", "write_error_report"]

_KINDS: dict[str, str] = {
    "投诉": "complaint",
    "举报": "report",
    "咨询": "consultation",
    "求助": "consultation",
    "建议": "suggestion",
    "意见建议": "suggestion",
    "投诉举报": "both",
    "投诉+举报": "both",
    "投诉和举报": "both",
    "投诉、举报": "both",
}
_URGENCIES: dict[str, str] = {
    "": "normal",
    "一般": "normal",
    "普通": "normal",
    "紧急": "urgent",
    "特急": "urgent",
    "民生保障": "utility",
    "水电气热": "utility",
}
_YES = {"是", "y", "yes", "true", "1", "匿名", "保密"}
_NO = {"", "否", "n", "no", "false", "0"}
_DATETIME = re.compile(
    r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
    r"(?:[ T]+(\d{1,2})[:：时](\d{1,2})(?:[:：分](\d{1,2})(?:\.\d+)?)?秒?)?"
)
_TITLE_LENGTH = 30
_BATCH = 2_000

# Pydantic field path → our column key (for error reports).
_FIELD_COLUMN: dict[str, str] = {
    "party.name": "party_name",
    "party.phone": "party_phone",
    "party.id_number": "party_id_number",
    "party.address": "party_address",
    "party": "party_name",
    "category_code": "category",
}


@dataclass
class ImportReport:
    channel: str
    filename: str
    total_rows: int = 0
    created: int = 0  # submissions registered now
    tickets: int = 0  # tickets created (a split submission makes two)
    existing: int = 0
    triaged: int = 0
    dry_run: bool = False
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        if self.errors:
            rows = len({e.row for e in self.errors})
            return f"导入失败：{rows} 行有错误，未写入任何数据"
        verb = "校验通过（未写入）" if self.dry_run else "导入完成"
        text = f"{verb}：共 {self.total_rows} 行，新登记 {self.created} 条"
        if self.tickets != self.created:
            text += f"（{self.tickets} 件工单，含投诉举报拆分）"
        text += f"，已存在 {self.existing} 条"
        if self.triaged:
            text += f"，已分拣 {self.triaged} 件"
        return text


def _parse_datetime(value: str) -> datetime:
    match = _DATETIME.fullmatch(value.strip())
    if not match:
        raise ValueError("日期时间格式不正确，应如 2025-06-01 09:30")
    y, mo, d, h, mi, s = (int(g) if g else 0 for g in match.groups())
    try:
        return datetime(y, mo, d, h, mi, s, tzinfo=local_zone())
    except ValueError:
        raise ValueError("日期时间不存在（请检查月、日、时、分）") from None


def _parse_date(value: str) -> date:
    return _parse_datetime(value).date()


def _parse_amount(value: str) -> Decimal:
    text = (
        value.replace(",", "").replace("，", "").replace("元", "").replace("¥", "").replace("￥", "").strip()
    )
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise ValueError("金额应为数字，如 2100.00") from None
    if not amount.is_finite() or amount < 0:
        raise ValueError("金额不能为负数")
    if amount != amount.quantize(Decimal("0.01")):
        raise ValueError("金额最多两位小数")
    return amount


def _category(value: str, taxonomy: Taxonomy) -> str:
    text = value.strip()
    if text in taxonomy:
        return text
    for category in taxonomy.all():
        if text in (category.path, category.name):
            return category.code
    raise ValueError("问题分类不在分类目录中（填写分类代码或路径，如 预付式消费/美容美发）")


def _row_payload(
    cells: list[str], columns: dict[str, int], channel: str, taxonomy: Taxonomy
) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """Raw cells → TicketIn fields; conversion errors as (column key, message)."""

    def cell(key: str) -> str:
        index = columns.get(key)
        return cells[index].strip() if index is not None and index < len(cells) else ""

    errors: list[tuple[str, str]] = []
    data: dict[str, Any] = {"channel": channel}

    def convert(key: str, target: str, parse: Callable[[str], Any]) -> None:
        raw = cell(key)
        if not raw:
            return
        try:
            data[target] = parse(raw)
        except ValueError as exc:
            errors.append((key, str(exc)))

    for key in ("external_id", "demand", "business_name", "business_address", "platform_name", "order_no"):
        if cell(key):
            data[key] = cell(key)
    if cell("location"):
        data["location"] = cell("location")
    if cell("division_code"):
        data["division_code"] = cell("division_code")
    text = cell("text")
    if not text:
        errors.append(("text", "内容为必填项"))
    data["text"] = text
    data["title"] = cell("title") or text[:_TITLE_LENGTH]
    convert("received_at", "received_at", _parse_datetime)
    convert("occurred_on", "occurred_on", _parse_date)
    convert("amount", "amount", _parse_amount)
    convert("category", "category_code", lambda v: _category(v, taxonomy))
    kind = cell("kind") or "投诉"
    if kind not in _KINDS:
        errors.append(("kind", f"诉求类型“{kind}”无法识别（可填：投诉、举报、咨询、建议、投诉举报）"))
    else:
        data["kind"] = _KINDS[kind]
    urgency = cell("urgency")
    if urgency not in _URGENCIES:
        errors.append(("urgency", f"紧急程度“{urgency}”无法识别（可填：一般、紧急、民生保障）"))
    else:
        data["urgency"] = _URGENCIES[urgency]
    anonymous = cell("anonymous").lower()
    if anonymous in _YES:
        data["anonymous"] = True
    elif anonymous not in _NO:
        errors.append(("anonymous", "是否保密应填“是”或“否”"))
    name, phone = cell("party_name"), cell("party_phone")
    if name or phone:
        data["party"] = {
            "name": name or "未留姓名",
            "phone": phone,
            "id_number": cell("party_id_number") or None,
            "address": cell("party_address") or None,
        }
        if not phone:
            errors.append(("party_phone", "填写了姓名但缺少联系电话"))
    elif data.get("kind") in ("complaint", "both", "consultation"):
        data["anonymous"] = True  # no caller details in the export: recorded as missing (第九条)
    return data, errors


def parse_rows(
    data: bytes, *, filename: str, channel: str, mapping: Mapping[str, str] | None = None
) -> tuple[list[tuple[int, TicketIn]], list[RowError], int]:
    """Read and validate a file: (row number, submission) pairs, row errors and the data-row count."""
    sheet = read_sheet(data, filename=filename)
    columns = resolve_columns(sheet.headers, channel, mapping)
    spec: dict[str, Column] = {c.key: c for c in columns_for(channel)}
    header_of = {key: sheet.headers[i] for key, i in columns.items()}
    taxonomy = load_taxonomy()
    items: list[tuple[int, TicketIn]] = []
    errors: list[RowError] = []
    first_row: dict[str, int] = {}

    def header(key: str) -> str:
        return header_of.get(key) or (spec[key].header if key in spec else key)

    for number, cells in sheet.rows:
        payload, problems = _row_payload(cells, columns, channel, taxonomy)
        for key, message in problems:
            errors.append(RowError(row=number, column=header(key), message=message))
        if problems:
            continue
        try:
            item = TicketIn.model_validate(payload)
        except ValidationError as exc:
            for err in translate(exc.errors()):
                key = _FIELD_COLUMN.get(err["field"], err["field"])
                errors.append(RowError(row=number, column=header(key), message=err["message"]))
            continue
        if item.external_id:
            if item.external_id in first_row:
                errors.append(
                    RowError(
                        row=number,
                        column=header("external_id"),
                        message=f"与第 {first_row[item.external_id]} 行的工单编号重复",
                    )
                )
                continue
            first_row[item.external_id] = number
        items.append((number, item))
    return items, errors, len(sheet.rows)


def run_import(
    *,
    session: Session,
    data: bytes,
    filename: str,
    channel: str,
    mapping: Mapping[str, str] | bytes | str | None,
    actor: Actor,
    dry_run: bool = False,
    triage: bool = True,
    progress: Callable[[str, int, int], None] | None = None,
) -> ImportReport:
    """Validate and (unless ``dry_run``) register a hotline export; all or nothing.

    Raises :class:`ImportRejected` with the per-row errors when any row is invalid.
    """
    actor.require(Perm.COMPLAINT_HANDLE)
    columns_for(channel)
    fields = parse_mapping(mapping, channel=channel)
    items, errors, total = parse_rows(data, filename=filename, channel=channel, mapping=fields)
    report = ImportReport(channel=channel, filename=Path(filename).name, total_rows=total, dry_run=dry_run)
    existing = existing_by_external(session, [item for _n, item in items])
    headers = {c.key: c.header for c in columns_for(channel)}
    new: list[tuple[int, TicketIn]] = []
    for number, item in items:
        key = (Channel(channel).value, item.external_id or "")
        if item.external_id and key in existing:
            differing = first_difference(existing[key][0], item)
            if differing is not None:
                errors.append(
                    RowError(
                        row=number,
                        column=headers.get(differing, differing),
                        message=f"工单编号 {item.external_id} 已登记，但内容与已登记的不一致",
                    )
                )
            else:
                report.existing += 1
            continue
        new.append((number, item))
    if errors:
        errors.sort(key=lambda e: e.row)
        raise ImportRejected(row_errors=errors, total_rows=total)
    report.created = len(new)
    report.tickets = sum(len(item.kinds()) for _n, item in new)
    if dry_run or not new:
        return report
    for start in range(0, len(new), _BATCH):
        batch = [item for _n, item in new[start : start + _BATCH]]
        results = register_many(
            session=session,
            items=batch,
            actor=actor,
            triage_now=False,
            path_prefix="",
            audit_each=False,
            load=triage,
        )
        tickets = [t for r in results for t in r.tickets]
        if triage:
            report.triaged += triage_many(session=session, tickets=tickets, actor=actor)
        if progress is not None:
            progress("import", min(start + _BATCH, len(new)), len(new))
    audit.record(
        session,
        actor=actor,
        action="complaints.import",
        object_type="complaints.ticket",
        object_id=None,
        summary=f"导入 {channel} 工单 {report.filename}：新登记 {report.created} 条，"
        f"已存在 {report.existing} 条",
        detail={
            "channel": channel,
            "filename": report.filename,
            "rows": total,
            "created": report.created,
            "tickets": report.tickets,
            "existing": report.existing,
            "triaged": report.triaged,
        },
    )
    return report


def plan_import(
    *,
    session: Session,
    data: bytes,
    filename: str,
    channel: str,
    mapping: Mapping[str, str] | bytes | str | None,
    actor: Actor,
) -> ImportReport:
    """Validate a file and count what an import would do, writing nothing (``run_import`` dry run)."""
    return run_import(
        session=session,
        data=data,
        filename=filename,
        channel=channel,
        mapping=mapping,
        actor=actor,
        dry_run=True,
    )


def write_error_report(errors: list[RowError], path: Path | None = None) -> bytes:
    """The per-row errors as CSV (UTF-8 with BOM, opens in Excel): 行号, 列, 错误."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["行号", "列", "错误"])
    for error in errors:
        writer.writerow([error.row, error.column, error.message])
    data = ("\ufeff" + buffer.getvalue()).encode("utf-8")
    if path is not None:
        path.write_bytes(data)
    return data
