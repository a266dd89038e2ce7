"""Exports of the entity list (CSV for machines, XLSX for people).

An export is scoped exactly like the list it comes from, always carries masked personal data (a file
leaves the platform's control; unmasked views are one record at a time and audited), is capped in
size, and writes one ``registry.export`` audit event.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Literal

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from sqlalchemy import select
from sqlalchemy.orm import Session

from tianping.core import audit
from tianping.core.authz import Actor, Perm
from tianping.core.timeutil import format_local, local_today
from tianping.registry import repository
from tianping.registry.models import MarketEntity
from tianping.registry.schemas import EntityOut, EntityQuery
from tianping.registry.service import search_entities, to_out

ExportFormat = Literal["csv", "xlsx"]
EXPORT_MAX_ROWS = 100_000
_CHUNK = 2_000

COLUMNS: list[tuple[str, str]] = [
    ("id", "编号"),
    ("name", "名称"),
    ("kind_label", "类型"),
    ("uscc", "统一社会信用代码"),
    ("external_id", "外部编号"),
    ("platform_name", "所属平台"),
    ("district_name", "所在区"),
    ("division_name", "所在街乡"),
    ("division_code", "区划代码"),
    ("industry_section", "行业门类"),
    ("industry_name", "行业门类名称"),
    ("status_label", "经营状态"),
    ("established_on", "成立日期"),
    ("registered_address", "注册地址"),
    ("legal_representative", "法定代表人/经营者（脱敏）"),
    ("contact_phone", "联系电话（脱敏）"),
    ("operator_id_card", "经营者身份证号（脱敏）"),
    ("aliases", "别名"),
    ("tags", "标签"),
    ("updated_at", "最近更新"),
]


@dataclass(frozen=True)
class ExportFile:
    content: bytes
    filename: str
    media_type: str
    rows: int
    truncated: bool


def _cell(out: EntityOut, key: str) -> str:
    if key == "aliases":
        return "；".join(a.alias for a in out.aliases)
    if key == "tags":
        return "；".join(out.tags)
    if key == "updated_at":
        return format_local(out.updated_at)
    value = getattr(out, key)
    return "" if value is None else str(value)


def _rows(session: Session, *, query: EntityQuery, actor: Actor) -> tuple[list[EntityOut], bool]:
    if query.q:
        found = search_entities(session=session, text=query.q, actor=actor, limit=500)
        return found, False
    where = [repository.scope_filter(actor), *repository.filter_clauses(query)]
    out: list[EntityOut] = []
    last_id = 0
    while len(out) < EXPORT_MAX_ROWS:
        chunk = list(
            session.scalars(
                select(MarketEntity)
                .where(*where, MarketEntity.id > last_id)
                .order_by(MarketEntity.id)
                .limit(min(_CHUNK, EXPORT_MAX_ROWS - len(out)))
                .options(*repository.entity_loaders())
            )
        )
        if not chunk:
            return out, False
        out.extend(to_out(e, actor=actor) for e in chunk)
        last_id = chunk[-1].id
    more = session.scalar(select(MarketEntity.id).where(*where, MarketEntity.id > last_id).limit(1))
    return out, more is not None


def export_entities(*, session: Session, query: EntityQuery, actor: Actor, fmt: ExportFormat) -> ExportFile:
    """The entities the actor may see that match ``query``, personal data masked."""
    actor.require(Perm.ENTITY_READ)
    rows, truncated = _rows(session, query=query, actor=actor)
    stamp = local_today().strftime("%Y%m%d")
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow([label for _, label in COLUMNS])
        for out in rows:
            writer.writerow([_cell(out, key) for key, _ in COLUMNS])
        content = ("\ufeff" + buf.getvalue()).encode("utf-8")  # BOM: Excel opens UTF-8 CSV correctly
        media = "text/csv; charset=utf-8"
    else:
        wb = Workbook()
        ws = wb.active
        assert ws is not None
        ws.title = "经营主体"
        ws.append([label for _, label in COLUMNS])
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for out in rows:
            ws.append([_cell(out, key) for key, _ in COLUMNS])
        for i, (_, label) in enumerate(COLUMNS, start=1):
            ws.column_dimensions[get_column_letter(i)].width = max(10, min(40, len(label) * 2 + 4))
        ws.freeze_panes = "A2"
        if truncated:
            note = wb.create_sheet("说明")
            note.append(
                [f"结果超过 {EXPORT_MAX_ROWS:,} 行，仅导出前 {EXPORT_MAX_ROWS:,} 行；请缩小筛选范围。"]
            )
        buf_b = io.BytesIO()
        wb.save(buf_b)
        content = buf_b.getvalue()
        media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    filters = query.model_dump(mode="json", exclude={"page", "page_size"}, exclude_none=True)
    audit.record(
        session,
        actor=actor,
        action="registry.export",
        object_type="registry_entity",
        object_id=None,
        summary=f"导出经营主体 {len(rows)} 行（{fmt.upper()}，个人信息已脱敏）",
        detail={"rows": len(rows), "format": fmt, "filters": filters, "truncated": truncated},
    )
    return ExportFile(
        content=content,
        filename=f"经营主体_{stamp}.{fmt}",
        media_type=media,
        rows=len(rows),
        truncated=truncated,
    )
