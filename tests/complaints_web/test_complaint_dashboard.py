"""The KPI dashboard page and the monthly workbook download."""

from __future__ import annotations

import io
import json
import re

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from tests.complaints_web.complaints_web_support import as_user, file_ticket, make_people
from tianping.core.audit import AuditEvent
from tianping.core.timeutil import to_local


def test_the_dashboard_needs_statistics_rights(client: TestClient, db_session: Session) -> None:
    people = make_people(db_session)
    resp = client.get("/complaints/dashboard")
    assert resp.status_code == 303 and resp.headers["location"].startswith("/login")
    as_user(client, people.platform)
    assert client.get("/complaints/dashboard").status_code == 403
    assert client.get("/complaints/reports/monthly/2025-06.xlsx").status_code == 403
    as_user(client, people.analyst)
    assert client.get("/complaints/dashboard?month=2025-06").status_code == 200
    assert client.get("/complaints/dashboard?month=2025-13").status_code == 422


def test_the_dashboard_shows_the_month_with_drill_down_links(client: TestClient, db_session: Session) -> None:
    people = make_people(db_session)
    ticket = file_ticket(db_session, people.officer)
    month = to_local(ticket.received_at).strftime("%Y-%m")
    as_user(client, people.officer)
    page = client.get(f"/complaints/dashboard?month={month}")
    assert page.status_code == 200
    html = page.text
    for testid in (
        "headline",
        "assessed",
        "chart-trend",
        "chart-by-category",
        "chart-by-district",
        "table-member-unit",
        "table-category",
        "formula-version",
        "download-workbook",
    ):
        assert f'data-testid="{testid}"' in html, testid
    volume = re.search(
        r'data-testid="figure-volume"[^>]*>\s*<div class="v" data-testid="figure-value">([\d,]+)<', html
    )
    assert volume and int(volume.group(1).replace(",", "")) >= 1
    assert f'href="/complaints?month={month}' in html  # every number drills into the list
    assert f"/complaints/reports/monthly/{month}.xlsx" in html
    options = json.loads(
        re.search(r'<script type="application/json" id="chart-options">(.*?)</script>', html, re.S).group(1)
    )  # type: ignore[union-attr]
    assert set(options) == {"trend", "by-category", "by-district"}
    assert options["trend"]["xAxis"]["data"][-1] == month
    assert sum(options["trend"]["series"][0]["data"]) >= 1
    drill = re.search(r'data-testid="drill-link">', html)
    assert drill is not None
    listing = client.get(f"/complaints?month={month}")
    assert listing.status_code == 200 and f'data-ticket-id="{ticket.id}"' in listing.text


def test_the_monthly_workbook_downloads_and_is_audited(client: TestClient, db_session: Session) -> None:
    people = make_people(db_session)
    ticket = file_ticket(db_session, people.officer)
    month = to_local(ticket.received_at).strftime("%Y-%m")
    as_user(client, people.officer)
    resp = client.get(f"/complaints/reports/monthly/{month}.xlsx")
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in resp.headers["content-disposition"]
    workbook = load_workbook(io.BytesIO(resp.content))
    assert len(workbook.sheetnames) >= 2
    events = db_session.query(AuditEvent).filter(AuditEvent.actor_username == people.officer.username).all()
    assert any("report" in e.action or "workbook" in e.action or "export" in e.action for e in events)
