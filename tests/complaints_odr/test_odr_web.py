"""ODR pages and API: the inbox, the reply with its one-time link, the public decision and figures."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.factories import login
from tianping.complaints.models import Outcome, PlatformReply, Ticket, TicketStatus

from .conftest import OdrWorld

LINK_RE = re.compile(r"/odr/decision/([A-Za-z0-9_\-]{16,})")


def test_inbox_page_reply_and_public_decision(client: TestClient, world: OdrWorld) -> None:
    mine = world.ticket()
    theirs = world.ticket(platform=world.platform_b, name="李大为")
    csrf = login(client, "odr_platform_a")
    page = client.get("/odr")
    assert page.status_code == 200
    assert mine.ticket_no in page.text and theirs.ticket_no not in page.text
    assert "张**" in page.text and "13912345678" not in page.text and "张三丰" not in page.text
    assert client.get(f"/odr/{theirs.id}").status_code == 404
    detail = client.get(f"/odr/{mine.id}")
    assert detail.status_code == 200 and 'data-testid="odr-reply-form"' in detail.text
    assert "福润路8号" not in detail.text

    bad = client.post(
        f"/odr/{mine.id}/reply",
        data={"csrf_token": csrf, "remedy": "refund", "amount": "", "text": "同意退款处理"},
    )
    assert bad.status_code == 422 and "请填写金额" in bad.text
    no_csrf = client.post(
        f"/odr/{mine.id}/reply", data={"remedy": "refund", "amount": "25", "text": "同意退款处理"}
    )
    assert no_csrf.status_code == 403

    done = client.post(
        f"/odr/{mine.id}/reply",
        data={"csrf_token": csrf, "remedy": "refund", "amount": "25.00", "text": "同意全额退款"},
    )
    assert done.status_code == 201 and "<svg" in done.text and done.headers["cache-control"] == "no-store"
    match = LINK_RE.search(done.text)
    assert match
    token = match.group(1)
    # the link is not shown again
    assert token not in client.get(f"/odr/{mine.id}").text

    client.cookies.clear()  # the consumer is anonymous
    public = client.get(f"/odr/decision/{token}")
    assert public.status_code == 200 and "退款" in public.text and "¥25.00" in public.text
    assert "张三丰" not in public.text
    accepted = client.post(f"/odr/decision/{token}", data={"decision": "accept", "note": ""})
    assert accepted.status_code == 200 and 'data-testid="decision-done"' in accepted.text
    world.session.refresh(mine)
    assert mine.status == TicketStatus.CLOSED.value and mine.outcome == Outcome.SETTLED.value
    again = client.post(f"/odr/decision/{token}", data={"decision": "reject"})
    assert again.status_code == 409
    assert client.get("/odr/decision/this-token-does-not-exist").status_code == 404


def test_officer_hands_a_ticket_to_the_platform(client: TestClient, world: OdrWorld) -> None:
    ticket = world.ticket()
    csrf = login(client, "odr_officer")
    resp = client.post(f"/complaints/{ticket.id}/odr/notify", data={"csrf_token": csrf})
    assert resp.status_code == 303 and resp.headers["location"] == f"/complaints/{ticket.id}?done=odr_notify"
    assert client.get("/odr").status_code == 403  # officers have no platform inbox


def test_public_stats_page_has_aggregates_only(client: TestClient, world: OdrWorld) -> None:
    for day in range(1, 8):
        world.ticket(received_at=datetime(2025, 6, day, 3, tzinfo=UTC), name="王小明", phone="13700001111")
    world.ticket(received_at=datetime(2025, 6, 9, 3, tzinfo=UTC), platform=world.platform_b, name="赵六六")
    page = client.get("/odr/stats?month=2025-06")
    assert page.status_code == 200
    assert "示例外卖平台（北京）科技有限公司" in page.text and ">7<" in page.text
    assert "&lt;5" in page.text  # platform B: 1 complaint
    for secret in ("王小明", "王**", "13700001111", "赵六六", "TS-ODR", "饺子"):
        assert secret not in page.text
    assert client.get("/odr/stats?month=2025-13").status_code == 422


def test_api_inbox_reply_and_decision(client: TestClient, world: OdrWorld) -> None:
    ticket = world.ticket()
    csrf = login(client, "odr_platform_a")
    headers = {"X-CSRF-Token": csrf}
    inbox = client.get("/api/v1/odr/inbox")
    assert inbox.status_code == 200
    body = inbox.json()
    assert [i["ticket_no"] for i in body["items"]] == [ticket.ticket_no]
    assert "13912345678" not in inbox.text and body["items"][0]["party_name"] == "张**"
    bad = client.post(
        f"/api/v1/odr/inbox/{ticket.id}/reply", json={"remedy": "gift", "text": "送一张券"}, headers=headers
    )
    assert bad.status_code == 422
    made = client.post(
        f"/api/v1/odr/inbox/{ticket.id}/reply",
        json={"remedy": "explain", "text": "已联系商家补送餐品。"},
        headers=headers,
    )
    assert made.status_code == 201
    token = made.json()["token"]
    assert made.json()["decision_url"] == f"/odr/decision/{token}"
    stored = world.session.scalar(select(PlatformReply).where(PlatformReply.ticket_id == ticket.id))
    assert stored is not None and stored.token_hash != token
    client.cookies.clear()
    rejected = client.post(f"/api/v1/odr/decision/{token}", json={"accept": False, "note": "不同意"})
    assert rejected.status_code == 200 and rejected.json()["decision"] == "rejected"
    assert rejected.json()["ticket_status"] == TicketStatus.ACCEPTED.value
    assert client.post(f"/api/v1/odr/decision/{token}", json={"accept": True}).status_code == 409
    assert client.post("/api/v1/odr/decision/unknown-token-0000", json={"accept": True}).status_code == 404
    assert client.get("/api/v1/odr/inbox").status_code == 401
    public = client.get("/api/v1/odr/stats/public?month=2025-06")
    assert public.status_code == 200 and public.json()["rows"] == []
    assert world.session.get(Ticket, ticket.id) is not None


def test_api_notify_and_stats_for_officers(client: TestClient, world: OdrWorld) -> None:
    ticket = world.ticket(received_at=datetime(2025, 6, 3, 2, tzinfo=UTC))
    csrf = login(client, "odr_officer")
    notified = client.post(f"/api/v1/odr/tickets/{ticket.id}/notify", headers={"X-CSRF-Token": csrf})
    assert notified.status_code == 200 and notified.json()["due_at"]
    stats = client.get("/api/v1/odr/stats?start=2025-06-01&end=2025-06-30")
    assert stats.status_code == 200
    row = stats.json()[0]
    assert row["count"] == 1 and row["platform_entity_id"] == world.platform_a
    assert client.get("/api/v1/odr/inbox").status_code == 403
