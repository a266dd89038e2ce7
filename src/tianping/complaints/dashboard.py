"""Everything the KPI dashboard page shows for one month, as JSON-serialisable dataclasses.

Built from :func:`tianping.complaints.kpi.compute`; every figure and table row carries the query
parameters of the ticket list (``/complaints?…``) that shows the tickets behind it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from tianping.core.authz import Actor
from tianping.core.timeutil import format_local, utcnow

from .kpi import (
    KpiFilters,
    KpiRow,
    KpiTable,
    Rate,
    compute_tables,
    compute_volumes,
    parse_month,
    percent,
    shift_months,
    volume_series,
)

__all__ = ["Dashboard", "DashboardTable", "Figure", "TrendPoint", "dashboard"]

TOP_BUSINESSES = 10


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    value: float | None  # a rate as 0..1, a count, or working days; None = nothing to count
    display: str  # "93.3%", "1,234", "—"
    drill: dict[str, str]
    note: str = ""


@dataclass(frozen=True)
class DashboardTable:
    dim: str
    title: str
    rows: list[dict[str, Any]]  # KpiRow.to_json() with display strings added


@dataclass(frozen=True)
class TrendPoint:
    month: str
    volume: int
    drill: dict[str, str]


@dataclass(frozen=True)
class Dashboard:
    month: str
    period_label: str
    scope: str
    formula_id: str
    formula_text: str
    first_resolution_definition: str
    generated_at: str
    headline: list[Figure]
    assessed: list[Figure]
    by_category: DashboardTable
    by_district: DashboardTable
    by_member_unit: DashboardTable
    top_businesses: DashboardTable
    trend: list[TrendPoint]
    overdue_count: int

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _rate_figure(key: str, label: str, rate: Rate, drill: dict[str, str], note: str = "") -> Figure:
    return Figure(key, label, rate.as_float, rate.display(), drill, note)


def _count_figure(key: str, label: str, value: int, drill: dict[str, str], note: str = "") -> Figure:
    return Figure(key, label, float(value), f"{value:,}", drill, note)


def _row_json(row: KpiRow) -> dict[str, Any]:
    data = row.to_json()
    data["display"] = {
        "mom": percent(row.mom),
        "yoy": percent(row.yoy),
        "response_raw": row.response_raw.display(),
        "resolution_raw": row.resolution_raw.display(),
        "satisfaction_raw": row.satisfaction_raw.display(),
        "response_assessed": row.response_assessed.display(),
        "resolution_assessed": row.resolution_assessed.display(),
        "satisfaction_assessed": row.satisfaction_assessed.display(),
        "composite_raw": percent(row.composite_raw),
        "composite_assessed": percent(row.composite_assessed),
        "first_resolution_raw": row.first_resolution_raw.display(),
        "first_resolution_assessed": row.first_resolution_assessed.display(),
        "overdue_rate": row.overdue.display(),
        "median_handling_workdays": "—"
        if row.median_handling_workdays is None
        else f"{row.median_handling_workdays:g}",
    }
    return data


def _table(table: KpiTable, dim: str, title: str) -> DashboardTable:
    return DashboardTable(dim=dim, title=title, rows=[_row_json(r) for r in table.rows])


def dashboard(
    *,
    session: Session,
    actor: Actor,
    month: str,
    filters: KpiFilters | None = None,
    now: datetime | None = None,
) -> Dashboard:
    """The dashboard of ``month`` (``YYYY-MM``) for what ``actor`` may see."""
    start, end = parse_month(month)
    now = now or utcnow()
    main, by_category, by_district, by_member = compute_tables(
        session=session,
        actor=actor,
        start=start,
        end=end,
        dim_sets=[(), ("category",), ("district",), ("member_unit",)],
        filters=filters,
        now=now,
    )
    formula = main.formula
    businesses = compute_volumes(
        session=session,
        actor=actor,
        start=start,
        end=end,
        dim="business",
        filters=filters,
        limit=TOP_BUSINESSES,
    )
    trend_months = [shift_months(start, i - 11) for i in range(12)]
    volumes = volume_series(session=session, actor=actor, months=trend_months, filters=filters)
    t = main.total
    drill = t.drill
    overdue_drill = {**drill, "queue": "overdue"}
    overdue_drill.pop("month", None)  # the overdue queue lists what is overdue now
    headline = [
        _count_figure(
            "volume",
            "受理量（收到工单）",
            t.volume,
            drill,
            f"环比 {percent(t.mom)}，同比 {percent(t.yoy)}",
        ),
        _rate_figure("response_raw", "响应率", t.response_raw, drill),
        _rate_figure("resolution_raw", "解决率", t.resolution_raw, drill),
        _rate_figure("satisfaction_raw", "满意率", t.satisfaction_raw, drill),
        Figure(
            "composite_raw",
            "三率综合",
            None if t.composite_raw is None else float(t.composite_raw),
            percent(t.composite_raw),
            drill,
        ),
        _rate_figure("first_resolution_raw", "原始解决率", t.first_resolution_raw, drill),
        _rate_figure(
            "overdue_rate",
            "超期率",
            t.overdue,
            overdue_drill,
            f"到期 {t.overdue.denominator:,} 项，超期 {t.overdue.numerator}",
        ),
        Figure(
            "median_handling_workdays",
            "办理用时中位数（工作日）",
            t.median_handling_workdays,
            "—" if t.median_handling_workdays is None else f"{t.median_handling_workdays:g}",
            drill,
        ),
    ]
    assessed = [
        _rate_figure("response_assessed", "响应率（考核）", t.response_assessed, drill),
        _rate_figure("resolution_assessed", "解决率（考核）", t.resolution_assessed, drill),
        _rate_figure("satisfaction_assessed", "满意率（考核）", t.satisfaction_assessed, drill),
        Figure(
            "composite_assessed",
            "三率综合（考核）",
            None if t.composite_assessed is None else float(t.composite_assessed),
            percent(t.composite_assessed),
            drill,
        ),
        _rate_figure("first_resolution_assessed", "原始解决率（考核）", t.first_resolution_assessed, drill),
        _count_figure("excluded", "核减/申诉剔除工单", t.excluded, drill),
    ]
    base = filters.params() if filters else {}
    points = [
        TrendPoint(month=m.strftime("%Y-%m"), volume=v, drill={**base, "month": m.strftime("%Y-%m")})
        for m, v in zip(trend_months, volumes, strict=True)
    ]
    return Dashboard(
        month=month,
        period_label=main.period_label,
        scope=main.scope,
        formula_id=formula.id,
        formula_text=formula.describe(),
        first_resolution_definition=formula.first_resolution.definition,
        generated_at=format_local(now),
        headline=headline,
        assessed=assessed,
        by_category=_table(by_category, "category", "按类别"),
        by_district=_table(by_district, "district", "按区"),
        by_member_unit=_table(by_member, "member_unit", "按成员单位"),
        top_businesses=DashboardTable(
            dim="business",
            title=f"投诉最多的经营者（前 {TOP_BUSINESSES}）",
            rows=[_row_json(r) for r in businesses],
        ),
        trend=points,
        overdue_count=int(t.overdue.numerator),
    )
