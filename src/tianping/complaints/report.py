"""The monthly one-table report (工作月报表, "一表集成、多维覆盖") as an XLSX workbook.

One 汇总 sheet (headline figures raw and assessed, the formula version, period, scope, time of
generation), one sheet per dimension (类别, 区, 成员单位, 所站, 经营者 top 100, 渠道, 平台) with a
native bar chart, a 12-month 月度趋势 sheet with line charts, and the 逾期工单 list. Built from
:func:`tianping.complaints.kpi.compute`; numbers are numbers (percent format), "—" where nothing
was counted.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from fractions import Fraction
from typing import Any

from openpyxl import Workbook
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from tianping.core import audit
from tianping.core.authz import Actor
from tianping.core.timeutil import format_local, utcnow

from .kpi import (
    KpiFilters,
    KpiRow,
    KpiTable,
    Rate,
    base_where,
    compute,
    compute_tables,
    dimension_labels,
    month_range,
    parse_month,
    shift_months,
    utc_bounds,
)
from .kpi_formulas import KpiFormula
from .models import Clock, ClockStatus, Ticket

__all__ = ["OVERDUE_SHEET_LIMIT", "REPORT_SHEETS", "monthly_workbook"]

# (dimension, sheet title, row limit)
REPORT_SHEETS: tuple[tuple[str, str, int | None], ...] = (
    ("category", "类别", None),
    ("district", "区", None),
    ("member_unit", "成员单位", None),
    ("station", "所站", None),
    ("business", "经营者", 100),
    ("channel", "渠道", None),
    ("platform", "平台", None),
)
OVERDUE_SHEET_LIMIT = 10_000
PERCENT = "0.0%"
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
BOLD = Font(bold=True)


def _num(value: Fraction | float | int | None) -> float | int | str:
    if value is None:
        return "—"
    if isinstance(value, Fraction):
        return float(value)
    return value


def _rate(rate: Rate) -> float | str:
    value = rate.value
    return "—" if value is None else float(value)


@dataclass(frozen=True)
class _Column:
    title: str
    get: Callable[[KpiRow], Any]
    percent: bool = False
    width: int = 12


COLUMNS: tuple[_Column, ...] = (
    _Column("受理量", lambda r: r.volume),
    _Column("上月", lambda r: r.volume_prev_month, width=9),
    _Column("环比", lambda r: _num(r.mom), True, 9),
    _Column("去年同期", lambda r: r.volume_last_year, width=9),
    _Column("同比", lambda r: _num(r.yoy), True, 9),
    _Column("已受理", lambda r: r.accepted, width=9),
    _Column("已办结", lambda r: r.closed, width=9),
    _Column("响应率", lambda r: _rate(r.response_raw), True),
    _Column("解决率", lambda r: _rate(r.resolution_raw), True),
    _Column("满意率", lambda r: _rate(r.satisfaction_raw), True),
    _Column("三率综合", lambda r: _num(r.composite_raw), True),
    _Column("响应率（考核）", lambda r: _rate(r.response_assessed), True, 14),
    _Column("解决率（考核）", lambda r: _rate(r.resolution_assessed), True, 14),
    _Column("满意率（考核）", lambda r: _rate(r.satisfaction_assessed), True, 14),
    _Column("三率综合（考核）", lambda r: _num(r.composite_assessed), True, 16),
    _Column("原始解决率", lambda r: _rate(r.first_resolution_raw), True),
    _Column("原始解决率（考核）", lambda r: _rate(r.first_resolution_assessed), True, 18),
    _Column("超期率", lambda r: _rate(r.overdue), True, 9),
    _Column("办理用时中位数（工作日）", lambda r: _num(r.median_handling_workdays), width=22),
    _Column("核减剔除", lambda r: r.excluded, width=9),
)


def _header(ws: Worksheet, titles: Sequence[str], widths: Sequence[int], row: int = 1) -> None:
    for col, (title, width) in enumerate(zip(titles, widths, strict=True), start=1):
        cell = ws.cell(row=row, column=col, value=title)
        cell.font = BOLD
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        ws.column_dimensions[get_column_letter(col)].width = width


def _dimension_sheet(wb: Workbook, table: KpiTable, title: str, label: str, limit: int | None) -> Worksheet:
    ws = wb.create_sheet(title)
    rows = table.rows if limit is None else table.rows[:limit]
    _header(ws, [label, *(c.title for c in COLUMNS)], [28, *(c.width for c in COLUMNS)])
    for r, row in enumerate([*rows, table.total], start=2):
        is_total = row is table.total
        ws.cell(row=r, column=1, value="合计" if is_total else row.label).font = BOLD if is_total else Font()
        for c, column in enumerate(COLUMNS, start=2):
            cell = ws.cell(row=r, column=c, value=column.get(row))
            if column.percent and not isinstance(cell.value, str):
                cell.number_format = PERCENT
            if is_total:
                cell.font = BOLD
    ws.freeze_panes = "B2"
    if rows:
        shown = min(len(rows), 15)
        chart = BarChart()
        chart.type = "bar"
        chart.style = 10
        chart.title = f"受理量（按{label}，前 {shown} 项）"
        chart.y_axis.title = "工单数"
        chart.add_data(Reference(ws, min_col=2, min_row=1, max_row=shown + 1), titles_from_data=True)
        chart.set_categories(Reference(ws, min_col=1, min_row=2, max_row=shown + 1))
        chart.height = max(7.5, 0.6 * shown + 2)
        chart.width = 18
        ws.add_chart(chart, f"{get_column_letter(len(COLUMNS) + 3)}2")
    return ws


def _summary_sheet(ws: Worksheet, table: KpiTable, month: str, generated_at: datetime) -> None:
    t = table.total
    ws.title = "汇总"
    ws["A1"] = f"工作月报表（{month}）"
    ws["A1"].font = Font(bold=True, size=16)
    facts = [
        ("统计期间", table.period_label + "（按收到日期，北京时间）"),
        ("统计范围", table.scope),
        ("考核口径", table.formula.describe()),
        ("原始解决率定义", table.formula.first_resolution.definition),
        ("生成时间", format_local(generated_at)),
    ]
    for i, (key, value) in enumerate(facts, start=3):
        ws.cell(row=i, column=1, value=key).font = BOLD
        ws.cell(row=i, column=2, value=value).alignment = Alignment(wrap_text=True, vertical="top")
    start = len(facts) + 4
    _header(ws, ["指标", "原始", "考核（核减后）"], [24, 16, 16], row=start)
    ws.column_dimensions["B"].width = 60
    lines: list[tuple[str, Any, Any, bool]] = [
        ("受理量（收到工单）", t.volume, t.volume - t.excluded, False),
        ("上月受理量", t.volume_prev_month, "", False),
        ("环比", _num(t.mom), "", True),
        ("去年同期受理量", t.volume_last_year, "", False),
        ("同比", _num(t.yoy), "", True),
        ("响应率", _rate(t.response_raw), _rate(t.response_assessed), True),
        ("解决率", _rate(t.resolution_raw), _rate(t.resolution_assessed), True),
        ("满意率", _rate(t.satisfaction_raw), _rate(t.satisfaction_assessed), True),
        ("三率综合", _num(t.composite_raw), _num(t.composite_assessed), True),
        ("原始解决率", _rate(t.first_resolution_raw), _rate(t.first_resolution_assessed), True),
        ("超期率", _rate(t.overdue), "", True),
        ("到期时限数 / 超期数", f"{t.overdue.denominator} / {t.overdue.numerator}", "", False),
        ("办理用时中位数（工作日）", _num(t.median_handling_workdays), "", False),
        ("核减/申诉剔除工单", t.excluded, "", False),
    ]
    for i, (name, raw, assessed, pct) in enumerate(lines, start=start + 1):
        ws.cell(row=i, column=1, value=name)
        for col, value in ((2, raw), (3, assessed)):
            cell = ws.cell(row=i, column=col, value=value)
            cell.alignment = Alignment(horizontal="right")
            if pct and not isinstance(value, str):
                cell.number_format = PERCENT
    ws.freeze_panes = f"A{start + 1}"


def _trend_sheet(wb: Workbook, trend: KpiTable, first_month: date) -> None:
    ws = wb.create_sheet("月度趋势")
    titles = ["月份", "受理量", "响应率", "解决率", "满意率"]
    _header(ws, titles, [10, 10, 10, 10, 10])
    by_month = {r.key[0]: r for r in trend.rows}
    for i in range(12):
        key = shift_months(first_month, i).strftime("%Y-%m")
        row = by_month.get(key)
        values: list[Any] = [key, row.volume if row else 0]
        for rate in ("response_raw", "resolution_raw", "satisfaction_raw"):
            values.append(_rate(getattr(row, rate)) if row else "—")
        for c, value in enumerate(values, start=1):
            cell = ws.cell(row=i + 2, column=c, value=value)
            if c > 2 and not isinstance(value, str):
                cell.number_format = PERCENT
    ws.freeze_panes = "B2"
    volume = LineChart()
    volume.title = "近 12 个月受理量"
    volume.y_axis.title = "工单数"
    volume.add_data(Reference(ws, min_col=2, min_row=1, max_row=13), titles_from_data=True)
    volume.set_categories(Reference(ws, min_col=1, min_row=2, max_row=13))
    volume.width = 18
    ws.add_chart(volume, "H2")
    rates = LineChart()
    rates.title = "近 12 个月三率"
    rates.y_axis.number_format = PERCENT
    rates.add_data(Reference(ws, min_col=3, max_col=5, min_row=1, max_row=13), titles_from_data=True)
    rates.set_categories(Reference(ws, min_col=1, min_row=2, max_row=13))
    rates.width = 18
    ws.add_chart(rates, "H18")


def _overdue_sheet(
    wb: Workbook, session: Session, actor: Actor, table: KpiTable, filters: KpiFilters | None, now: datetime
) -> None:
    ws = wb.create_sheet("逾期工单")
    titles = ["工单号", "收到时间", "类别", "区", "承办单位", "时限", "依据", "到期时间", "状态"]
    _header(ws, titles, [22, 17, 28, 10, 24, 12, 40, 17, 10])
    lo, hi = utc_bounds(table.start, table.end)
    late = or_(
        Clock.status == ClockStatus.BREACHED.value,
        and_(Clock.status == ClockStatus.RUNNING.value, Clock.due_at < now),
    )
    stmt = (
        select(
            Ticket.ticket_no,
            Ticket.received_at,
            Ticket.category_code,
            Ticket.district_code,
            Ticket.handling_org_id,
            Clock.kind,
            Clock.basis,
            Clock.due_at,
            Clock.status,
        )
        .join(Ticket, Ticket.id == Clock.ticket_id)
        .where(Clock.due_at >= lo, Clock.due_at < hi, late, *base_where(actor, filters))
        .order_by(Clock.due_at, Ticket.ticket_no)
        .limit(OVERDUE_SHEET_LIMIT + 1)
    )
    found = list(session.execute(stmt))
    rows = found[:OVERDUE_SHEET_LIMIT]
    cats = dimension_labels(session, "category", (r[2] for r in rows))
    districts = dimension_labels(session, "district", (r[3] for r in rows))
    orgs = dimension_labels(session, "member_unit", (None if r[4] is None else str(r[4]) for r in rows))
    status_labels = {ClockStatus.BREACHED.value: "超期完成", ClockStatus.RUNNING.value: "超期未办结"}
    for i, r in enumerate(rows, start=2):
        values = [
            r[0],
            format_local(r[1]),
            cats[r[2]],
            districts[r[3]],
            orgs[None if r[4] is None else str(r[4])] if r[4] is not None else "未分派",
            r[5],
            r[6],
            format_local(r[7]),
            status_labels.get(r[8], r[8]),
        ]
        for c, value in enumerate(values, start=1):
            ws.cell(row=i, column=c, value=value)
    if len(found) > OVERDUE_SHEET_LIMIT:
        ws.cell(row=len(rows) + 3, column=1, value=f"仅列出前 {OVERDUE_SHEET_LIMIT:,} 项，请在系统中查看全部")
    ws.freeze_panes = "A2"


def monthly_workbook(
    *,
    session: Session,
    actor: Actor,
    month: str,
    filters: KpiFilters | None = None,
    now: datetime | None = None,
) -> bytes:
    """The 工作月报表 of ``month`` (``YYYY-MM``) for what ``actor`` may see, as XLSX bytes."""
    start, end = parse_month(month)
    now = now or utcnow()

    # Two passes over the month (counts grouped by a few low-cardinality dimensions, summed down in
    # Python per sheet) plus one for the long-tailed businesses.
    def tables_of(dim_sets: list[tuple[str, ...]], formula: KpiFormula | None = None) -> list[KpiTable]:
        return compute_tables(
            session=session,
            actor=actor,
            start=start,
            end=end,
            dim_sets=dim_sets,
            filters=filters,
            formula=formula,
            now=now,
        )

    main, *first_sheets = tables_of([(), ("category",), ("district",), ("member_unit",)])
    formula = main.formula
    other_sheets = tables_of([("station",), ("channel",), ("platform",)], formula)
    (business,) = tables_of([("business",)], formula)
    tables = {t.dims[0]: t for t in [*first_sheets, *other_sheets, business]}
    wb = Workbook()
    _summary_sheet(wb.active, main, month, now)
    for dim, title, limit in REPORT_SHEETS:
        _dimension_sheet(wb, tables[dim], title, title, limit)
    first = month_range(shift_months(start, -11))[0]
    trend = compute(
        session=session,
        actor=actor,
        start=first,
        end=end,
        dims=("month",),
        filters=filters,
        formula=formula,
        now=now,
        with_history=False,
        with_clocks=False,
        with_first_resolution=False,
    )
    _trend_sheet(wb, trend, first)
    _overdue_sheet(wb, session, actor, main, filters, now)
    wb.properties.title = f"工作月报表 {month}"
    wb.properties.creator = "天平 Tianping"
    out = io.BytesIO()
    wb.save(out)
    audit.record(
        session,
        actor=actor,
        action="complaints.report.monthly",
        object_type="complaints_report",
        object_id=month,
        summary=f"生成工作月报表 {month}（口径 {main.formula.id}）",
        detail={"month": month, "formula": formula.id, "filters": filters.params() if filters else {}},
    )
    return out.getvalue()
