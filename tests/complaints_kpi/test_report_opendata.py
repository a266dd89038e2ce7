"""The monthly workbook (sheets, values, native charts), the dashboard data and the open-data rows."""

from __future__ import annotations

import csv
import io
import json
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from tests.complaints_kpi.kpi_support import (
    FENGTAI,
    NOW,
    OTHER_ID,
    OTHER_PHONE,
    PARTY_NAMES,
    PARTY_PHONES,
    build_world,
    officer,
)
from tianping.complaints.dashboard import dashboard
from tianping.complaints.kpi import KpiFilters
from tianping.complaints.opendata import SUPPRESSED, open_data_csv, open_data_rows
from tianping.complaints.report import monthly_workbook
from tianping.core.authz import Actor, Role
from tianping.core.errors import PermissionDenied, ValidationFailed
from tianping.core.timeutil import utcnow
from tianping.registry.models import MarketEntity


def test_monthly_workbook(db_session: Session) -> None:
    build_world(db_session)
    content = monthly_workbook(session=db_session, actor=officer(), month="2025-06", now=NOW)
    wb = load_workbook(io.BytesIO(content))
    assert wb.sheetnames == [
        "汇总",
        "类别",
        "区",
        "成员单位",
        "所站",
        "经营者",
        "渠道",
        "平台",
        "月度趋势",
        "逾期工单",
    ]
    summary = wb["汇总"]
    cells = {summary.cell(row=r, column=1).value: r for r in range(1, summary.max_row + 1)}
    assert "口径 2025.1" in summary.cell(row=cells["考核口径"], column=2).value
    assert summary.cell(row=cells["统计期间"], column=2).value.startswith("2025-06-01 至 2025-06-30")
    resolution = cells["解决率"]
    assert summary.cell(row=resolution, column=2).value == pytest.approx(0.5)
    assert summary.cell(row=resolution, column=3).value == pytest.approx(0.5)
    assert summary.cell(row=resolution, column=2).number_format == "0.0%"
    assert summary.cell(row=cells["受理量（收到工单）"], column=2).value == 16
    assert summary.cell(row=cells["原始解决率"], column=2).value == pytest.approx(6 / 11)
    district = wb["区"]
    assert district.freeze_panes == "B2"
    headers = [c.value for c in district[1]]
    rows = {r[0]: dict(zip(headers, r, strict=True)) for r in district.iter_rows(min_row=2, values_only=True)}
    assert rows["丰台区"]["受理量"] == 13 and rows["海淀区"]["受理量"] == 3 and rows["合计"]["受理量"] == 16
    assert rows["海淀区"]["同比"] == "—"  # no tickets a year before
    assert rows["丰台区"]["超期率"] == pytest.approx(0.5)
    for title in ("类别", "区", "成员单位", "渠道"):
        assert len(wb[title]._charts) == 1, title
    assert len(wb["月度趋势"]._charts) == 2  # volume, 三率
    trend = list(wb["月度趋势"].iter_rows(min_row=2, values_only=True))
    assert trend[0][0] == "2024-07" and trend[-1][0] == "2025-06"
    assert trend[-1][1] == 16 and trend[-2][1] == 4
    overdue = list(wb["逾期工单"].iter_rows(min_row=2, values_only=True))
    assert len(overdue) == 2 and {r[8] for r in overdue} == {"超期完成", "超期未办结"}


def test_workbook_for_one_district(db_session: Session) -> None:
    build_world(db_session)
    content = monthly_workbook(
        session=db_session, actor=officer(), month="2025-06", filters=KpiFilters(district="110108"), now=NOW
    )
    wb = load_workbook(io.BytesIO(content))
    values = [r[0] for r in wb["区"].iter_rows(min_row=2, values_only=True)]
    assert values == ["海淀区", "合计"]


def test_dashboard_is_json_with_drill_down(db_session: Session) -> None:
    build_world(db_session)
    board = dashboard(session=db_session, actor=officer(), month="2025-06", now=NOW)
    data = json.loads(json.dumps(board.to_json()))
    head = {f["key"]: f for f in data["headline"]}
    assert head["volume"]["value"] == 16 and "环比 300.0%" in head["volume"]["note"]
    assert head["resolution_raw"]["display"] == "50.0%"
    assert head["first_resolution_raw"]["drill"] == {"month": "2025-06"}
    assert head["overdue_rate"]["drill"] == {"queue": "overdue"}
    assert data["formula_id"] == "2025.1" and "原始解决率" in data["first_resolution_definition"]
    assert [p["month"] for p in data["trend"]][-2:] == ["2025-05", "2025-06"]
    assert [p["volume"] for p in data["trend"]][-2:] == [4, 16]
    assert data["trend"][0]["volume"] == 0  # 2024-07; June 2024 lies outside the 12 months
    district_rows = {r["label"]: r for r in data["by_district"]["rows"]}
    assert district_rows["丰台区"]["drill"] == {"month": "2025-06", "district": FENGTAI}
    assert district_rows["海淀区"]["display"]["yoy"] == "—"
    assert data["top_businesses"]["rows"][0]["drill"]["entity_id"] == "501"
    assert data["overdue_count"] == 2


def _link_entities(db_session: Session, world_tickets: dict[str, object]) -> None:
    now = utcnow()
    company = MarketEntity(
        kind="enterprise",
        name="北京示例美容有限公司",
        normalized_name="示例美容",
        created_at=now,
        updated_at=now,
    )
    person = MarketEntity(
        kind="individual_business",
        name="丰台区赵虚构美发店",
        normalized_name="赵虚构美发店",
        created_at=now,
        updated_at=now,
    )
    db_session.add_all([company, person])
    db_session.flush()
    for label, entity in (("T1", company), ("T2", company), ("T3", person), ("T4", person)):
        world_tickets[label].entity_id = entity.id  # type: ignore[attr-defined]
    world_tickets["T3"].text += "店主赵虚构美发店拒绝退款。"  # type: ignore[attr-defined]
    db_session.flush()


def test_open_data_has_no_personal_data_and_suppresses_small_groups(db_session: Session) -> None:
    world = build_world(db_session)
    _link_entities(db_session, world.tickets)  # type: ignore[arg-type]
    rows = list(
        open_data_rows(session=db_session, actor=officer(), start=date(2025, 6, 1), end=date(2025, 6, 30))
    )
    assert len(rows) == 16
    blob = json.dumps(rows, ensure_ascii=False)
    for secret in (*PARTY_NAMES, *PARTY_PHONES, OTHER_PHONE, OTHER_ID, "赵虚构"):
        assert secret not in blob, secret
    assert not any(r["id"].startswith("TS") for r in rows)  # hashed, not the ticket number
    districts = {r["district"] for r in rows}
    assert districts == {"丰台区", SUPPRESSED}  # 海淀 × online.coupon × June has 3 < 10 tickets
    businesses = {r["business"] for r in rows}
    assert businesses == {"", "北京示例美容有限公司"}  # never the individual business
    assert all(r["narrative"] for r in rows)  # received long ago: narratives published, scrubbed
    assert {r["timely"] for r in rows} >= {"是", "否", "办理中"}
    recent = list(
        open_data_rows(
            session=db_session, actor=officer(), start=date(2025, 6, 1), end=date(2025, 6, 30), now=NOW
        )
    )
    assert all(r["narrative"] == "" for r in recent)  # within 60 days of receipt: no narrative yet


def test_open_data_csv_and_access(db_session: Session) -> None:
    build_world(db_session)
    content = open_data_csv(
        session=db_session, actor=officer(), start=date(2025, 5, 1), end=date(2025, 6, 30)
    )
    assert content.startswith(b"\xef\xbb\xbf")
    table = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))
    assert len(table) == 20 and "诉求描述（已脱敏）" in table[0]
    may = [r for r in table if r["收到日期"].startswith("2025-05")]
    assert {r["区"] for r in may} == {SUPPRESSED}
    public = Actor(user_id=None, username="anonymous", roles=frozenset({Role.PUBLIC}))
    with pytest.raises(PermissionDenied):
        list(open_data_rows(session=db_session, actor=public, start=date(2025, 6, 1), end=date(2025, 6, 30)))
    with pytest.raises(ValidationFailed):
        list(
            open_data_rows(session=db_session, actor=officer(), start=date(2025, 6, 30), end=date(2025, 6, 1))
        )
