"""The complaints KPI dashboard (投诉举报统计分析) and the monthly workbook download (工作月报表).

One call to :func:`tianping.complaints.dashboard.dashboard` gives every figure of the page; the
charts are ECharts options built here from those figures (served from /static, no CDN). Every number
links to the ticket list with the filters that reproduce it (``/complaints?…``).
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, Response

from tianping.complaints.dashboard import Dashboard, DashboardTable, dashboard
from tianping.complaints.kpi import KpiFilters
from tianping.complaints.report import monthly_workbook
from tianping.complaints.taxonomy import load_taxonomy
from tianping.core.authz import Actor, Perm
from tianping.core.divisions import districts
from tianping.core.errors import PermissionDenied
from tianping.core.timeutil import local_today
from tianping.web.deps import PageUser, SessionDep, render

router = APIRouter()

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MONTH_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"
MonthQuery = Annotated[str | None, Query(pattern=MONTH_PATTERN)]
CHART_BAR_LIMIT = 15
RED, BLUE = "#b3261e", "#1d4f91"


def _require_stats(actor: Actor) -> None:
    """Officers and analysts (statistics); platform handlers see their own figures on the ODR page."""
    if not (actor.can(Perm.STATS_READ) and actor.can(Perm.COMPLAINT_READ)):
        raise PermissionDenied("您没有查看投诉举报统计的权限")


def drill_url(params: dict[str, str]) -> str:
    return "/complaints" + (f"?{urlencode(params)}" if params else "")


def _default_month() -> str:
    """The last complete month (the monthly report's usual subject)."""
    today = local_today()
    year, month = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    return f"{year:04d}-{month:02d}"


def _bar_chart(title: str, table: DashboardTable, color: str) -> tuple[dict[str, Any], list[str]]:
    rows = [r for r in table.rows if r["volume"]][:CHART_BAR_LIMIT]
    rows.reverse()  # largest on top in a horizontal bar chart
    option = {
        "animation": False,
        "title": {"text": title, "left": "center", "textStyle": {"fontSize": 14}},
        "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}},
        "grid": {"left": 10, "right": 40, "bottom": 20, "top": 40, "containLabel": True},
        "xAxis": {"type": "value", "name": "件", "minInterval": 1},
        "yAxis": {
            "type": "category",
            "data": [r["label"] for r in rows],
            "axisLabel": {"width": 150, "overflow": "truncate"},
        },
        "series": [
            {
                "type": "bar",
                "name": "受理量",
                "data": [r["volume"] for r in rows],
                "itemStyle": {"color": color},
                "label": {"show": True, "position": "right"},
                "barMaxWidth": 26,
                "cursor": "pointer",
            }
        ],
    }
    return option, [drill_url(r["drill"]) for r in rows]


def charts(board: Dashboard) -> tuple[dict[str, dict[str, Any]], dict[str, list[str]]]:
    """ECharts options of the page and, per chart, the list URL behind each bar or point."""
    months = [p.month for p in board.trend]
    trend = {
        "animation": False,
        "title": {"text": "近 12 个月受理量", "left": "center", "textStyle": {"fontSize": 14}},
        "tooltip": {"trigger": "axis"},
        "grid": {"left": 50, "right": 30, "bottom": 30, "top": 44},
        "xAxis": {"type": "category", "data": months},
        "yAxis": {"type": "value", "name": "件", "minInterval": 1},
        "series": [
            {
                "type": "bar",
                "name": "受理量",
                "data": [p.volume for p in board.trend],
                "itemStyle": {"color": RED},
                "label": {"show": True, "position": "top"},
                "cursor": "pointer",
            }
        ],
    }
    by_category, category_urls = _bar_chart("按类别受理量", board.by_category, BLUE)
    by_district, district_urls = _bar_chart("按区受理量", board.by_district, RED)
    options = {"trend": trend, "by-category": by_category, "by-district": by_district}
    urls = {
        "trend": [drill_url(p.drill) for p in board.trend],
        "by-category": category_urls,
        "by-district": district_urls,
    }
    return options, urls


def _filters(district: str | None, category: str | None, channel: str | None) -> KpiFilters | None:
    if not (district or category or channel):
        return None
    return KpiFilters(district=district or None, category=category or None, channel=channel or None)


@router.get("/complaints/dashboard", response_class=HTMLResponse)
def dashboard_page(
    request: Request,
    session: SessionDep,
    actor: PageUser,
    month: MonthQuery = None,
    district: Annotated[str | None, Query(max_length=12, pattern=r"^\d*$")] = None,
    category: Annotated[str | None, Query(max_length=64, pattern=r"^[a-z0-9_.]*$")] = None,
    channel: Annotated[str | None, Query(max_length=16, pattern=r"^[a-z0-9]*$")] = None,
) -> HTMLResponse:
    _require_stats(actor)
    month = month or _default_month()
    board = dashboard(
        session=session, actor=actor, month=month, filters=_filters(district, category, channel)
    )
    options, urls = charts(board)
    return render(
        request,
        "complaints/dashboard.html",
        actor=actor,
        nav="complaints-dashboard",
        board=board,
        month=month,
        selected={"district": district or "", "category": category or "", "channel": channel or ""},
        chart_options=options,
        chart_urls=urls,
        drill_url=drill_url,
        workbook_url=f"/complaints/reports/monthly/{month}.xlsx"
        + (f"?{urlencode({'district': district})}" if district else ""),
        districts=[(d.code, d.name) for d in districts()],
        categories=[(c.code, c.path) for c in load_taxonomy().all()],
    )


@router.get("/complaints/reports/monthly/{month}.xlsx")
def monthly_download(
    session: SessionDep,
    actor: PageUser,
    month: Annotated[str, Path(pattern=MONTH_PATTERN)],
    district: Annotated[str | None, Query(max_length=12, pattern=r"^\d*$")] = None,
) -> Response:
    """工作月报表: the workbook service writes the audit event of the export."""
    _require_stats(actor)
    content = monthly_workbook(
        session=session, actor=actor, month=month, filters=_filters(district, None, None)
    )
    return Response(
        content,
        media_type=XLSX,
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(f'工作月报表-{month}.xlsx')}",
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )
