"""Officers' ticket list and ticket page: who may open them, filters and tabs, the triage shown with
its reasons, actions through the lifecycle, the audited reveal of personal data."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.complaints_web.complaints_web_support import as_user, audit_actions, file_ticket, make_people
from tianping.complaints.models import Callback, Ticket, TicketEvent


def _rows(html: str) -> list[str]:
    return re.findall(r'data-testid="ticket-row" data-ticket-id="(\d+)"', html)


def test_the_pages_need_a_login_and_the_right_role(client: TestClient, db_session: Session) -> None:
    people = make_people(db_session)
    ticket = file_ticket(db_session, people.officer)
    for url in ("/complaints", f"/complaints/{ticket.id}", "/complaints?queue=review"):
        resp = client.get(url)
        assert resp.status_code == 303 and resp.headers["location"].startswith("/login?next="), url
    as_user(client, people.outsider)
    assert client.get("/complaints").status_code == 403
    assert client.get(f"/complaints/{ticket.id}").status_code == 403
    as_user(client, people.analyst)
    assert client.get("/complaints").status_code == 200
    page = client.get(f"/complaints/{ticket.id}")
    assert page.status_code == 200
    assert 'data-testid="action-accept"' not in page.text  # analysts read only
    assert 'data-testid="reveal-pii"' not in page.text
    as_user(client, people.platform)  # not their platform: the ticket is out of reach
    assert ticket.id not in [int(i) for i in _rows(client.get("/complaints").text)]
    assert client.get(f"/complaints/{ticket.id}").status_code == 404


def test_the_list_filters_and_tabs(client: TestClient, db_session: Session) -> None:
    people = make_people(db_session)
    beauty = file_ticket(db_session, people.officer)
    other = file_ticket(
        db_session,
        people.officer,
        kind="consultation",
        title="咨询七日无理由退货规则",
        text="网购衣服能否七日无理由退货？",
        business_name=None,
        business_address=None,
        location=None,
        demand=None,
    )
    as_user(client, people.officer)
    page = client.get("/complaints")
    assert page.status_code == 200
    ids = [int(i) for i in _rows(page.text)]
    assert beauty.id in ids and other.id in ids
    for key in ("all", "review", "unresolved", "due_soon", "overdue"):
        assert f'data-testid="tab-{key}"' in page.text
    assert "王小虚" not in page.text  # masked in the list

    only_consult = [int(i) for i in _rows(client.get("/complaints?kind=consultation").text)]
    assert other.id in only_consult and beauty.id not in only_consult
    by_text = [int(i) for i in _rows(client.get("/complaints", params={"q": beauty.ticket_no}).text)]
    assert by_text == [beauty.id]
    month = beauty.received_at.strftime("%Y-%m")
    assert beauty.id in [int(i) for i in _rows(client.get(f"/complaints?month={month}").text)]
    assert _rows(client.get("/complaints?month=1999-01").text) == []
    review = client.get("/complaints?queue=review")
    assert review.status_code == 200 and 'class="active" data-testid="tab-review"' in review.text
    assert client.get("/complaints?month=2025-13").status_code == 422
    drill = client.get(f"/complaints?member_unit={people.member_unit.id}&month={month}")
    assert drill.status_code == 200 and 'data-testid="drill-filters"' in drill.text


def test_the_ticket_page_shows_the_triage_and_its_reasons(client: TestClient, db_session: Session) -> None:
    people = make_people(db_session)
    ticket = file_ticket(db_session, people.officer)
    as_user(client, people.officer)
    page = client.get(f"/complaints/{ticket.id}")
    assert page.status_code == 200
    html = page.text
    assert ticket.ticket_no in html
    for testid in ("triage-category", "triage-business", "triage-routing", "clocks", "timeline", "actions"):
        assert f'data-testid="{testid}"' in html, testid
    if ticket.category_code:
        assert 'data-testid="triage-confidence"' in html or ticket.category_source == "officer"
    assert 'data-testid="clock-row" data-kind="accept"' in html
    assert "第十四条" in html
    assert "王小虚" not in html and "13900001111" not in html  # masked until revealed
    assert 'data-testid="action-accept"' in html


def test_reveal_shows_the_party_and_writes_an_audit_event(client: TestClient, db_session: Session) -> None:
    people = make_people(db_session)
    ticket = file_ticket(db_session, people.officer)
    csrf = as_user(client, people.officer)
    assert client.post(f"/complaints/{ticket.id}/reveal", data={}).status_code == 403  # no form token
    assert "pii.view" not in audit_actions(db_session, ticket.id)
    resp = client.post(f"/complaints/{ticket.id}/reveal", data={"csrf_token": csrf})
    assert resp.status_code == 200
    assert "王小虚" in resp.text and "13900001111" in resp.text and 'data-testid="pii-revealed"' in resp.text
    assert "pii.view" in audit_actions(db_session, ticket.id)
    as_user(client, people.analyst)
    assert client.post(f"/complaints/{ticket.id}/reveal", data={"csrf_token": csrf}).status_code == 403


def test_actions_go_through_the_lifecycle(client: TestClient, db_session: Session) -> None:
    people = make_people(db_session)
    ticket = file_ticket(db_session, people.officer)
    csrf = as_user(client, people.officer)
    assert client.post(f"/complaints/{ticket.id}/accept", data={"note": "x"}).status_code == 403  # CSRF
    resp = client.post(f"/complaints/{ticket.id}/accept", data={"csrf_token": csrf, "note": "材料齐全"})
    assert resp.status_code == 303 and resp.headers["location"] == f"/complaints/{ticket.id}?done=accept"
    db_session.expire_all()
    assert db_session.get(Ticket, ticket.id).status == "accepted"  # type: ignore[union-attr]
    page = client.get(resp.headers["location"])
    assert 'class="flash ok"' in page.text and "已受理" in page.text

    again = client.post(f"/complaints/{ticket.id}/accept", data={"csrf_token": csrf})
    assert again.status_code in (409, 422) and 'class="flash err"' in again.text

    nul = client.post(
        f"/complaints/{ticket.id}/close", data={"csrf_token": csrf, "outcome": "mediated", "note": "坏\x00"}
    )
    assert nul.status_code == 422 and 'data-testid="error-note"' in nul.text
    bad = client.post(
        f"/complaints/{ticket.id}/close", data={"csrf_token": csrf, "outcome": "nonsense", "note": "调解"}
    )
    assert bad.status_code == 422 and 'data-testid="error-outcome"' in bad.text
    mediating = client.post(f"/complaints/{ticket.id}/mediate", data={"csrf_token": csrf})
    assert mediating.status_code == 303, mediating.text[:1500]
    page = client.get(f"/complaints/{ticket.id}").text
    assert 'data-testid="clock-row" data-kind="mediate"' in page and "暂停计时" in page
    paused = client.post(
        f"/complaints/{ticket.id}/pause",
        data={"csrf_token": csrf, "kind": "mediate", "reason": "送检验（第二十条）"},
    )
    assert paused.status_code == 303, paused.text[:1500]
    assert "恢复计时" in client.get(f"/complaints/{ticket.id}").text
    resumed = client.post(f"/complaints/{ticket.id}/resume", data={"csrf_token": csrf, "kind": "mediate"})
    assert resumed.status_code == 303, resumed.text[:1500]
    closed = client.post(
        f"/complaints/{ticket.id}/close",
        data={"csrf_token": csrf, "outcome": "mediated", "resolved": "1", "note": "经调解，商家退还余款"},
    )
    assert closed.status_code == 303, closed.text[:1500]
    db_session.expire_all()
    row = db_session.get(Ticket, ticket.id)
    assert row is not None and row.status == "closed" and row.outcome == "mediated" and row.resolved is True

    csrf2 = as_user(client, people.officer2)
    cb = client.post(
        f"/complaints/{ticket.id}/callback",
        data={
            "csrf_token": csrf2,
            "method": "phone",
            "reached": "1",
            "contacted": "1",
            "resolved": "1",
            "satisfaction": "satisfied",
            "note": "电话回访，投诉人满意",
        },
    )
    assert cb.status_code == 303, cb.text[:1500]
    callbacks = list(db_session.scalars(select(Callback).where(Callback.ticket_id == ticket.id)))
    assert len(callbacks) == 1 and callbacks[0].satisfaction == "satisfied"
    events = [
        e.action for e in db_session.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id))
    ]
    assert len(events) >= 4


def test_queues_recategorise_confirm_business_reject_and_transfer(
    client: TestClient, db_session: Session
) -> None:
    people = make_people(db_session)
    ticket = file_ticket(db_session, people.officer)
    ticket.needs_review = True
    ticket.link_status = "unresolved"
    db_session.commit()
    csrf = as_user(client, people.officer)
    assert str(ticket.id) in _rows(client.get("/complaints?queue=review").text)
    assert str(ticket.id) in _rows(client.get("/complaints?queue=unresolved").text)
    page = client.get(f"/complaints/{ticket.id}").text
    assert 'data-testid="needs-review"' in page and 'data-testid="confirm-none"' in page

    wrong = client.post(f"/complaints/{ticket.id}/category", data={"csrf_token": csrf, "category": "no.such"})
    assert wrong.status_code in (404, 422) and 'class="flash err"' in wrong.text
    fixed = client.post(
        f"/complaints/{ticket.id}/category", data={"csrf_token": csrf, "category": "prepaid.fitness"}
    )
    assert fixed.status_code == 303, fixed.text[:1500]
    db_session.expire_all()
    row = db_session.get(Ticket, ticket.id)
    assert row is not None and row.category_code == "prepaid.fitness" and row.category_source == "officer"
    assert (
        str(ticket.id) not in _rows(client.get("/complaints?queue=review").text)
        or row.link_status == "unresolved"
    )

    none = client.post(f"/complaints/{ticket.id}/business", data={"csrf_token": csrf, "entity_id": ""})
    assert none.status_code == 303, none.text[:1500]
    db_session.expire_all()
    assert db_session.get(Ticket, ticket.id).link_status == "none"  # type: ignore[union-attr]  # 无对应主体
    assert str(ticket.id) not in _rows(client.get("/complaints?queue=unresolved").text)
    bad_id = client.post(f"/complaints/{ticket.id}/business", data={"csrf_token": csrf, "entity_id": "abc"})
    assert bad_id.status_code == 422 and 'data-testid="error-entity_id"' in bad_id.text

    no_org = client.post(
        f"/complaints/{ticket.id}/transfer", data={"csrf_token": csrf, "org_id": "", "reason": "x"}
    )
    assert no_org.status_code == 422 and "<details open" in no_org.text
    moved = client.post(
        f"/complaints/{ticket.id}/transfer",
        data={"csrf_token": csrf, "org_id": str(people.station.id), "reason": "经营地属卢沟桥所辖区"},
    )
    assert moved.status_code == 303, moved.text[:1500]
    db_session.expire_all()
    row = db_session.get(Ticket, ticket.id)
    assert row is not None and row.handling_org_id == people.station.id and row.transfer_count == 1

    rejected = client.post(
        f"/complaints/{ticket.id}/reject",
        data={"csrf_token": csrf, "ground": "2", "note": "消费者协会已受理同一争议"},
    )
    assert rejected.status_code == 303, rejected.text[:1500]
    db_session.expire_all()
    row = db_session.get(Ticket, ticket.id)
    assert row is not None and row.status == "rejected" and row.rejection_ground == "2"
    assert "第十五条第（二）项" in client.get(f"/complaints/{ticket.id}").text


def test_a_split_submission_links_both_halves(client: TestClient, db_session: Session) -> None:
    people = make_people(db_session)
    first = file_ticket(db_session, people.officer, also_report=True)
    partner = db_session.scalars(
        select(Ticket).where((Ticket.split_of_id == first.id) | (Ticket.id == first.split_of_id))
    ).one()
    as_user(client, people.officer)
    halves = {first.id: first, partner.id: partner}
    linked = [t for t in halves.values() if t.split_of_id]
    assert linked, "one half names the other (split_of_id)"
    for this in linked:
        page = client.get(f"/complaints/{this.id}").text
        assert (
            f'href="/complaints/{this.split_of_id}" data-testid="related-link"' in page and "第七条" in page
        )
        assert this.split_of_id in halves
    assert {first.kind, partner.kind} == {"complaint", "report"}
