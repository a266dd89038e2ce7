"""The officers' price-audit pages: access by role, runs, filters, shop summary, a finding with its
chart, the XLSX case file (audited), and turning a finding into a lead with evidence attached."""

from __future__ import annotations

import io
import json
import re
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.factories import login, make_org, make_user
from tests.price_audit_web.support import Runs
from tianping.complaints.models import Ticket
from tianping.core.audit import AuditEvent
from tianping.core.authz import Role
from tianping.evidence.models import EvidenceEntry
from tianping.identity.models import OrgKind
from tianping.price_audit.rules import RULES

USERS = {
    "pa-officer": Role.OFFICER,
    "pa-station": Role.STATION_OFFICER,
    "pa-admin": Role.ADMIN,
    "pa-analyst": Role.ANALYST,
    "pa-member": Role.MEMBER_UNIT_HANDLER,
    "pa-platform": Role.PLATFORM_HANDLER,
}


@pytest.fixture
def people(db_session: Session) -> dict[str, Role]:
    city = make_org(db_session, "北京市市场监督管理局（价格审计测试）", OrgKind.CITY_BUREAU)
    for username, role in USERS.items():
        make_user(db_session, username, role, org=city)
    db_session.commit()
    return USERS


def _urls(runs: Runs) -> list[str]:
    run_id = runs.with_tx.run_id
    return [
        "/prices/runs",
        f"/prices/runs/{run_id}",
        f"/prices/runs/{run_id}/findings/0",
        f"/prices/runs/{run_id}/shops/{quote('店铺9')}/casefile.xlsx",
    ]


def test_anonymous_visitors_are_sent_to_login(client: TestClient, runs: Runs) -> None:
    for url in _urls(runs):
        resp = client.get(url)
        assert resp.status_code == 303, url  # the app redirects to the login form
        assert resp.headers["location"].startswith("/login?next=")


@pytest.mark.parametrize("username", ["pa-analyst", "pa-member", "pa-platform"])
def test_other_roles_are_refused(
    client: TestClient, db_session: Session, people: dict[str, Role], runs: Runs, username: str
) -> None:
    login(client, username)
    for url in _urls(runs):
        assert client.get(url).status_code == 403, url


def test_runs_list(client: TestClient, db_session: Session, people: dict[str, Role], runs: Runs) -> None:
    login(client, "pa-station")
    page = client.get("/prices/runs")
    assert page.status_code == 200
    for run in (runs.with_tx, runs.proxy):
        row = re.search(rf'<tr data-testid="run-row" data-run-id="{run.run_id}">(.*?)</tr>', page.text, re.S)
        assert row, run.run_id
        assert f'href="/prices/runs/{run.run_id}"' in row.group(1)
        assert "duckdb" in row.group(1) and "已完成" in row.group(1)
        assert run.manifest["inputs"]["observations"]["sha256"][:12] in row.group(1)
        assert "R7 1" in row.group(1) and "pair_window=10" in row.group(1)
    assert "成交数据" in page.text


def test_run_page_header_rules_and_findings(
    client: TestClient, db_session: Session, people: dict[str, Role], runs: Runs
) -> None:
    login(client, "pa-officer")
    run_id = runs.with_tx.run_id
    page = client.get(f"/prices/runs/{run_id}").text
    for rule in RULES:
        assert rule.article in page  # exact citation text from the rules module
    assert runs.with_tx.manifest["inputs"]["transactions"]["sha256"] in page
    assert page.count('data-testid="finding-row"') == 7
    assert "共 7 条" in page


@pytest.mark.parametrize(
    ("query", "rules"),
    [
        ("rule=R6", ["R6"]),
        ("platform=jd", ["R4", "R5"]),
        (f"shop={quote('旗舰店')}", ["R1", "R2", "R3"]),
        (f"category={quote('D-2')}", ["R6", "R7"]),
        ("date_from=2025-05-01&date_to=2025-05-31", ["R4"]),
        (f"platform=pdd&shop={quote('店铺9')}&rule=R7", ["R7"]),
    ],
)
def test_filters_on_the_page(
    client: TestClient, db_session: Session, people: dict[str, Role], runs: Runs, query: str, rules: list[str]
) -> None:
    login(client, "pa-officer")
    page = client.get(f"/prices/runs/{runs.with_tx.run_id}?{query}")
    assert page.status_code == 200
    assert re.findall(r'data-testid="finding-row" data-rule="(R\d)"', page.text) == rules
    assert "清除条件" in page.text


def test_a_bad_date_is_a_field_error(
    client: TestClient, db_session: Session, people: dict[str, Role], runs: Runs
) -> None:
    login(client, "pa-officer")
    page = client.get(f"/prices/runs/{runs.with_tx.run_id}?date_from=2025-13-01")
    assert page.status_code == 422
    assert 'data-testid="error-date_from"' in page.text and "YYYY-MM-DD" in page.text
    later = client.get(f"/prices/runs/{runs.with_tx.run_id}?date_from=2025-06-02&date_to=2025-06-01")
    assert later.status_code == 422 and "结束日期不能早于开始日期" in later.text
    assert client.get(f"/prices/runs/{runs.with_tx.run_id}?rule=R99").status_code == 422


def test_shop_summary_on_the_page(
    client: TestClient, db_session: Session, people: dict[str, Role], runs: Runs
) -> None:
    login(client, "pa-officer")
    page = client.get(f"/prices/runs/{runs.with_tx.run_id}").text
    row = re.search(r'data-shop="店铺9" data-platform="pdd">(.*?)</tr>', page, re.S)
    assert row
    assert '<td data-testid="shop-findings">2</td>' in row.group(1)
    assert '<td data-testid="shop-skus">1</td>' in row.group(1)
    assert "¥28.00" in row.group(1) and "（3 笔）" in row.group(1)
    assert "估算多付金额 = Σ" in page  # the definition is on the page
    proxy = client.get(f"/prices/runs/{runs.proxy.run_id}").text
    assert "无成交数据" in proxy


def test_unknown_run_and_finding(
    client: TestClient, db_session: Session, people: dict[str, Role], runs: Runs
) -> None:
    login(client, "pa-officer")
    assert client.get("/prices/runs/19990101T000000Z-000000").status_code == 404
    assert client.get(f"/prices/runs/{runs.proxy.run_id}/findings/7").status_code == 404
    assert client.get("/prices/runs/..%2Fetc").status_code in (404, 422)


def _chart(page: str) -> dict:  # type: ignore[type-arg]
    match = re.search(
        r'<script type="application/json" id="price-timeline-option">(.*?)</script>', page, re.S
    )
    assert match
    return json.loads(match.group(1))  # type: ignore[no-any-return]


def test_finding_page_shows_article_explanation_and_chart_data(
    client: TestClient, db_session: Session, people: dict[str, Role], runs: Runs
) -> None:
    login(client, "pa-officer")
    page = client.get(f"/prices/runs/{runs.proxy.run_id}/findings/0")
    assert page.status_code == 200
    text = page.text
    assert "《明码标价和禁止价格欺诈规定》第十六条第二款；《规范促销行为暂行规定》第二十一条第二款" in text
    assert "前七日内的最低成交价格" in text  # the plain-Chinese explanation
    assert 'data-window-start="2025-05-25" data-window-end="2025-05-31"' in text
    assert 'data-low="100.00"' in text
    assert "/static/vendor/echarts.min.js" in text and "cdn" not in text.lower()
    option = _chart(text)
    area = option["series"][0]["markArea"]["data"][0]
    assert (area[0]["xAxis"], area[1]["xAxis"]) == ("2025-05-25 00:00:00", "2025-06-01 00:00:00")
    assert option["series"][0]["markPoint"]["data"][0]["coord"] == ["2025-05-27 10:00:00", "100.00"]
    r3 = client.get(f"/prices/runs/{runs.proxy.run_id}/findings/2").text
    assert "比较前临时提价 ¥150.00" in r3 and "第十七条第一款" in r3
    r7 = client.get(f"/prices/runs/{runs.proxy.run_id}/findings/6").text
    assert "阴影：结算价高于详情页价（2025-06-01 至 2025-06-02）。虚线竖线为发现日。" in r7


def test_casefile_export(
    client: TestClient, db_session: Session, people: dict[str, Role], runs: Runs
) -> None:
    login(client, "pa-officer")
    run_id = runs.with_tx.run_id
    resp = client.get(f"/prices/runs/{run_id}/shops/{quote('店铺9')}/casefile.xlsx?platform=pdd")
    assert resp.status_code == 200, resp.text[:300]
    assert resp.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert "filename*=UTF-8''" in resp.headers["content-disposition"]
    wb = load_workbook(io.BytesIO(resp.content))
    assert wb.sheetnames == ["概要", "发现", "价格序列", "每日价格"]
    summary = {row[0]: row[1] for row in wb["概要"].iter_rows(min_row=3, values_only=True) if row[0]}
    assert summary["店铺"] == "店铺9" and summary["平台"] == "pdd" and summary["审计运行"] == run_id
    assert summary["本店发现条数"] == 2 and summary["R6 首页或列表价低于详情页价"] == 1
    assert summary["估算消费者多付金额（元）"] == 28 and summary["经办人"].startswith("pa-officer")
    findings = list(wb["发现"].iter_rows(min_row=2, values_only=True))
    assert [f[1] for f in findings] == ["R6", "R7"]
    assert findings[0][3] == "《明码标价和禁止价格欺诈规定》第二十条第一款第（一）项"
    assert findings[1][17].startswith("同一商品在结算页面")
    series = list(wb["价格序列"].iter_rows(min_row=2, values_only=True))
    assert len(series) == 6 and {s[4] for s in series} == {"详情页", "首页/列表", "结算页"}
    charts = wb["每日价格"]._charts
    assert len(charts) == 1
    events = db_session.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "price_audit.casefile_export", AuditEvent.object_id == run_id
        )
    ).all()
    assert len(events) == 1 and events[0].detail["shop_id"] == "店铺9" and events[0].detail["findings"] == 2
    missing = client.get(f"/prices/runs/{run_id}/shops/{quote('没有')}/casefile.xlsx")
    assert missing.status_code == 404


def test_a_finding_becomes_a_lead_with_evidence(
    client: TestClient, db_session: Session, people: dict[str, Role], runs: Runs
) -> None:
    csrf = login(client, "pa-officer")
    run_id = runs.with_tx.run_id
    url = f"/prices/runs/{run_id}/findings/6"
    page = client.get(url).text
    assert 'data-testid="open-lead"' in page and 'data-testid="attach-evidence"' not in page
    refused = client.post(f"{url}/evidence", data={"csrf_token": csrf})
    assert refused.status_code == 409 and "请先“转为线索”" in refused.text
    assert client.post(f"{url}/lead", data={"csrf_token": "wrong"}).status_code == 403
    resp = client.post(f"{url}/lead", data={"csrf_token": csrf})
    assert resp.status_code == 303
    ticket_id = int(resp.headers["location"].rsplit("/", 1)[1])
    ticket = db_session.get(Ticket, ticket_id)
    assert ticket is not None
    assert (ticket.kind, ticket.channel) == ("report", "officer")
    assert ticket.business_name == "店铺9" and ticket.platform_name == "pdd"
    assert "《明码标价和禁止价格欺诈规定》第十九条第（二）项" in ticket.text
    assert ticket.external_id == f"pa:{run_id}:6"
    again = client.post(f"{url}/lead", data={"csrf_token": csrf})
    assert again.headers["location"] == resp.headers["location"]  # the same lead, not a second one
    page = client.get(url).text
    assert ticket.ticket_no in page and 'data-testid="attach-evidence"' in page
    kept = client.post(f"{url}/evidence", data={"csrf_token": csrf})
    assert kept.status_code == 303
    match = re.search(r"receipt=(\d+)&t=([0-9a-f]+)", kept.headers["location"])
    assert match
    entry = db_session.get(EvidenceEntry, int(match.group(1)))
    assert entry is not None and entry.link_ticket == ticket.ticket_no
    shown = client.get(kept.headers["location"]).text
    assert f"/evidence/receipts/{match.group(1)}?t={match.group(2)}" in shown
    receipt = client.get(f"/evidence/receipts/{match.group(1)}?t={match.group(2)}")
    assert receipt.status_code == 200


def test_every_finding_page_renders_with_its_article(
    client: TestClient, db_session: Session, people: dict[str, Role], runs: Runs
) -> None:
    login(client, "pa-station")
    for run in (runs.with_tx, runs.proxy):
        for finding_id, row in enumerate(run.findings.to_pylist()):
            page = client.get(f"/prices/runs/{run.run_id}/findings/{finding_id}")
            assert page.status_code == 200, (run.run_id, finding_id)
            assert f'<span data-testid="finding-article">{row["article"]}</span>' in page.text
            assert row["detail_zh"] in page.text
            assert 'id="price-timeline-option"' in page.text
