"""KPIs of the complaints domain: dashboard figures, the monthly workbook and the open-data CSV."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from tianping.api.deps import SessionDep, UserDep
from tianping.complaints.dashboard import dashboard
from tianping.complaints.kpi import KpiFilters
from tianping.complaints.opendata import open_data_csv
from tianping.complaints.report import monthly_workbook

router = APIRouter(prefix="/complaints", tags=["complaints"])

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
Month = Annotated[str, Query(pattern=r"^\d{4}-\d{2}$", description="月份 YYYY-MM")]


def _filters(district: str | None, category: str | None, channel: str | None) -> KpiFilters | None:
    if not (district or category or channel):
        return None
    return KpiFilters(district=district or None, category=category or None, channel=channel or None)


def _attachment(name: str) -> dict[str, str]:
    return {"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"}


@router.get("/kpi", summary="投诉举报考核指标（三率、原始解决率、受理量同比环比，按维度）")
def kpi(
    session: SessionDep,
    actor: UserDep,
    month: Month,
    district: Annotated[
        str | None, Query(max_length=12, pattern=r"^\d*$", description="区划代码前缀")
    ] = None,
    category: Annotated[
        str | None, Query(max_length=64, pattern=r"^[a-z0-9_.]*$", description="分类代码（含下级）")
    ] = None,
    channel: Annotated[str | None, Query(max_length=16, pattern=r"^[a-z0-9_]*$")] = None,
) -> dict[str, Any]:
    board = dashboard(
        session=session, actor=actor, month=month, filters=_filters(district, category, channel)
    )
    return board.to_json()


@router.get(
    "/reports/monthly/{month}.xlsx",
    summary="工作月报表（XLSX，含原生图表）",
    responses={200: {"content": {XLSX: {}}}},
)
def monthly(
    session: SessionDep,
    actor: UserDep,
    month: Annotated[str, Path(pattern=r"^\d{4}-\d{2}$", description="月份 YYYY-MM")],
    district: Annotated[str | None, Query(max_length=12, pattern=r"^\d*$")] = None,
) -> Response:
    content = monthly_workbook(
        session=session, actor=actor, month=month, filters=_filters(district, None, None)
    )
    return Response(content, media_type=XLSX, headers=_attachment(f"工作月报表-{month}.xlsx"))


@router.get(
    "/opendata.csv",
    summary="公开数据导出（CSV；无个人信息，描述脱敏，小样本隐去）",
    responses={200: {"content": {"text/csv": {}}}},
)
def opendata(
    session: SessionDep,
    actor: UserDep,
    date_from: Annotated[date, Query(alias="from", description="起始日期（含）")],
    date_to: Annotated[date, Query(alias="to", description="截止日期（含）")],
) -> Response:
    content = open_data_csv(session=session, actor=actor, start=date_from, end=date_to)
    return Response(
        content,
        media_type="text/csv; charset=utf-8",
        headers=_attachment(f"complaints-{date_from.isoformat()}-{date_to.isoformat()}.csv"),
    )
