"""The public complaint form (no login) and its confirmation page."""

from __future__ import annotations

import dataclasses
import re

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.complaints_web.complaints_web_support import FILED_LINK, PUBLIC_FORM, as_user, make_people
from tests.evidence_web.evidence_web_support import SCREENSHOT
from tianping.complaints.models import Ticket
from tianping.core.audit import record
from tianping.core.authz import ANONYMOUS
from tianping.core.settings import get_settings
from tianping.evidence.models import EvidenceEntry
from tianping.web.complaint_forms import filed_url


def _tickets(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Ticket)) or 0


def test_the_form_renders_for_anyone_with_every_field(client: TestClient) -> None:
    resp = client.get("/complaints/new")
    assert resp.status_code == 200
    html = resp.text
    assert "网上投诉举报" in html and "/static/complaints.css" in html
    for testid in (
        "kind-complaint",
        "kind-report",
        "also-report",
        "party-name",
        "party-phone",
        "business-name",
        "platform",
        "order-no",
        "amount",
        "occurred-on",
        "title",
        "text",
        "demand",
        "attachments",
    ):
        assert f'data-testid="{testid}"' in html, testid


def test_a_consumer_files_a_complaint_and_sees_the_deadline(client: TestClient, db_session: Session) -> None:
    before = _tickets(db_session)
    resp = client.post("/complaints/new", data=PUBLIC_FORM)
    assert resp.status_code == 303, resp.text[:800]
    location = resp.headers["location"]
    match = FILED_LINK.match(location)
    assert match, location
    assert _tickets(db_session) == before + 1
    ticket = db_session.scalars(select(Ticket).where(Ticket.ticket_no == match.group(1))).one()
    assert ticket.channel == "web" and ticket.kind == "complaint" and ticket.business_name == "虚构健身俱乐部"
    assert str(ticket.amount) in ("1999.00", "1999")

    page = client.get(location)
    assert page.status_code == 200
    assert ticket.ticket_no in page.text
    assert 'data-testid="filed-accept-due"' in page.text and "第十四条" in page.text
    assert page.headers["cache-control"] == "no-store"


def test_the_confirmation_page_needs_its_token(client: TestClient, db_session: Session) -> None:
    resp = client.post("/complaints/new", data=PUBLIC_FORM)
    assert resp.status_code == 303
    ticket_no = FILED_LINK.match(resp.headers["location"]).group(1)  # type: ignore[union-attr]
    assert client.get(f"/complaints/filed/{ticket_no}").status_code == 404
    assert client.get(f"/complaints/filed/{ticket_no}?t={'0' * 32}").status_code == 404
    assert client.get(filed_url([ticket_no])).status_code == 200


def test_complaint_and_report_at_once_become_two_linked_tickets(
    client: TestClient, db_session: Session
) -> None:
    resp = client.post("/complaints/new", data={**PUBLIC_FORM, "also_report": "1"})
    assert resp.status_code == 303, resp.text[:800]
    page = client.get(resp.headers["location"])
    assert page.text.count('data-testid="filed-ticket-no"') == 2
    assert "第七条" in page.text
    first = FILED_LINK.match(resp.headers["location"]).group(1)  # type: ignore[union-attr]
    ticket = db_session.scalars(select(Ticket).where(Ticket.ticket_no == first)).one()
    partner = db_session.scalars(
        select(Ticket).where((Ticket.split_of_id == ticket.id) | (Ticket.id == ticket.split_of_id))
    ).one()
    assert {ticket.kind, partner.kind} == {"complaint", "report"}


def test_errors_name_the_field_keep_the_values_and_write_nothing(
    client: TestClient, db_session: Session
) -> None:
    before = _tickets(db_session)
    bad = {**PUBLIC_FORM, "phone": "12345", "title": "", "amount": "很多", "business_name": ""}
    resp = client.post("/complaints/new", data=bad)
    assert resp.status_code == 422
    html = resp.text
    for field in ("phone", "title", "amount", "business_name"):
        assert f'data-testid="error-{field}"' in html, field
    assert (
        'value="李虚构"' in html and "2025年3月在虚构健身俱乐部办理年卡" in html and 'value="12345"' in html
    )
    assert _tickets(db_session) == before


def test_control_characters_are_a_field_error(client: TestClient, db_session: Session) -> None:
    resp = client.post("/complaints/new", data={**PUBLIC_FORM, "text": "坏\x00字符"})
    assert resp.status_code == 422
    assert 'data-testid="error-text"' in resp.text


def test_attachments_go_to_the_evidence_vault(client: TestClient, db_session: Session) -> None:
    entries = db_session.scalar(select(func.count()).select_from(EvidenceEntry)) or 0
    files = [
        ("files", ("订单截图.png", SCREENSHOT, "image/png")),
        ("files", ("聊天.png", SCREENSHOT + b"\x00", "image/png")),
    ]
    resp = client.post("/complaints/new", data=PUBLIC_FORM, files=files)
    assert resp.status_code == 303, resp.text[:800]
    ticket_no = FILED_LINK.match(resp.headers["location"]).group(1)  # type: ignore[union-attr]
    ticket = db_session.scalars(select(Ticket).where(Ticket.ticket_no == ticket_no)).one()
    assert len(ticket.evidence_ids) == 2
    assert (db_session.scalar(select(func.count()).select_from(EvidenceEntry)) or 0) == entries + 2
    page = client.get(resp.headers["location"]).text
    assert "已存证 2 个文件" in page
    # Each file's receipt is linked with its capability, and the link opens that receipt.
    links = re.findall(r'href="(/evidence/receipts/(\d+)\?t=[0-9a-f]+)" data-testid="filed-receipt"', page)
    assert sorted(int(i) for _, i in links) == sorted(ticket.evidence_ids)
    for url, index in links:
        receipt = client.get(url.replace("?", "/receipt.json?"))
        assert receipt.status_code == 200 and receipt.json()["leaf_index"] == int(index)
    assert client.get(f"/evidence/receipts/{links[0][1]}/receipt.json?t={'0' * 32}").status_code == 404


def test_signed_in_users_need_the_form_token(client: TestClient, db_session: Session) -> None:
    people = make_people(db_session)
    csrf = as_user(client, people.officer)
    assert client.post("/complaints/new", data=PUBLIC_FORM).status_code == 403
    assert client.post("/complaints/new", data={**PUBLIC_FORM, "csrf_token": csrf}).status_code == 303


def test_anonymous_filings_are_rate_limited_per_address(client: TestClient, db_session: Session) -> None:
    for _ in range(get_settings().complaints_public_per_hour):
        record(
            db_session,
            actor=dataclasses.replace(ANONYMOUS, ip="testclient"),
            action="complaints.register",
            object_type="complaints.ticket",
            object_id=None,
            summary="（测试）此前的网上投诉",
        )
    db_session.commit()
    before = _tickets(db_session)
    resp = client.post("/complaints/new", data=PUBLIC_FORM)
    assert resp.status_code == 429
    assert "提交过于频繁" in resp.text and 'value="李虚构"' in resp.text
    assert _tickets(db_session) == before


def test_a_report_may_be_anonymous_but_a_complaint_may_not(client: TestClient, db_session: Session) -> None:
    anonymous = {**PUBLIC_FORM, "name": "", "phone": "", "address": ""}
    refused = client.post("/complaints/new", data=anonymous)
    assert refused.status_code == 422 and 'data-testid="error-name"' in refused.text
    resp = client.post("/complaints/new", data={**anonymous, "kind": "report", "title": "无证经营线索"})
    assert resp.status_code == 303, resp.text[:800]
    ticket_no = FILED_LINK.match(resp.headers["location"]).group(1)  # type: ignore[union-attr]
    ticket = db_session.scalars(select(Ticket).where(Ticket.ticket_no == ticket_no)).one()
    assert ticket.kind == "report" and ticket.anonymous is True and ticket.party_id is None
    page = client.get(resp.headers["location"]).text
    assert 'data-testid="filed-accept-due"' not in page  # 第十四条 concerns complaints only
