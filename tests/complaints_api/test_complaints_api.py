"""JSON API of complaints: public filing, officer channels, bulk with item paths, scope, reveal, actions."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.complaints_intake.support import World, make_world, ticket_in
from tianping.complaints import intake
from tianping.complaints.models import Ticket
from tianping.core.audit import AuditEvent
from tianping.core.settings import get_settings
from tianping.identity import service as identity
from tianping.identity.models import User


def _headers(session: Session, world: World, who: str) -> dict[str, str]:
    actor = getattr(world, who)
    user = session.get(User, actor.user_id)
    assert user is not None
    _, token = identity.create_api_token(session, user_id=user.id, name="t", actor=actor)
    return {"Authorization": f"Bearer {token}"}


def _setup(session: Session) -> tuple[World, dict[str, dict[str, str]]]:
    world = make_world(session)
    headers = {
        w: _headers(session, world, w) for w in ("officer", "haidian_officer", "platform_handler", "analyst")
    }
    session.commit()  # keep the setup when a failed request rolls its savepoint back
    return world, headers


def _body(**fields: Any) -> dict[str, Any]:
    return ticket_in(**fields).model_dump(mode="json", exclude_none=True)


def _count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Ticket)) or 0


def test_public_files_through_web_only_and_gets_numbers_not_ids(
    client: TestClient, db_session: Session
) -> None:
    _setup(db_session)
    resp = client.post("/api/v1/complaints", json=_body())
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert body["created"] and body["ticket_ids"] == [] and body["ticket_nos"][0].startswith("TS")
    resp = client.post("/api/v1/complaints", json=_body(channel="12345"))
    assert resp.status_code == 403
    assert client.get("/api/v1/complaints").status_code == 401


def test_public_rate_limit(client: TestClient, db_session: Session) -> None:
    _setup(db_session)
    for i in range(get_settings().complaints_public_per_hour):
        assert client.post("/api/v1/complaints", json=_body(title=f"第{i}件")).status_code == 201
    resp = client.post("/api/v1/complaints", json=_body(title="再来一件"))
    assert resp.status_code == 429 and "提交过于频繁" in resp.json()["detail"]


def test_officer_files_any_channel_idempotently(client: TestClient, db_session: Session) -> None:
    _world, headers = _setup(db_session)
    body = _body(channel="12345", external_id="GD-API-1", also_report=True)
    first = client.post("/api/v1/complaints", json=body, headers=headers["officer"])
    assert first.status_code == 201 and len(first.json()["ticket_ids"]) == 2
    again = client.post("/api/v1/complaints", json=body, headers=headers["officer"])
    assert again.status_code == 200 and again.json()["ticket_ids"] == first.json()["ticket_ids"]
    assert not again.json()["created"]
    conflict = client.post(
        "/api/v1/complaints", json=body | {"text": "完全不同的内容"}, headers=headers["officer"]
    )
    assert conflict.status_code == 409
    assert conflict.json()["errors"] == [{"field": "text", "message": conflict.json()["detail"]}]


def test_validation_errors_name_fields(client: TestClient, db_session: Session) -> None:
    _world, headers = _setup(db_session)
    body = _body()
    body["party"]["phone"] = "123"
    body["amount"] = "1.234"
    resp = client.post("/api/v1/complaints", json=body, headers=headers["officer"])
    assert resp.status_code == 422
    fields = {e["field"] for e in resp.json()["errors"]}
    assert {"party.phone", "amount"} <= fields


def test_bulk_all_or_nothing_with_item_paths(client: TestClient, db_session: Session) -> None:
    _world, headers = _setup(db_session)
    items = [_body(channel="api", external_id=f"BULK-{i}", title=f"第{i}件") for i in range(5)]
    items[3]["party"]["phone"] = "not-a-phone"
    before = _count(db_session)
    resp = client.post("/api/v1/complaints/bulk", json={"items": items}, headers=headers["officer"])
    assert resp.status_code == 422
    assert [e["field"] for e in resp.json()["errors"]] == ["items[3].party.phone"]
    assert _count(db_session) == before
    items[3]["party"]["phone"] = "13800003333"
    ok = client.post("/api/v1/complaints/bulk", json={"items": items}, headers=headers["officer"])
    assert ok.status_code == 200 and ok.json()["created"] == 5
    again = client.post("/api/v1/complaints/bulk", json={"items": items}, headers=headers["officer"])
    assert again.json()["created"] == 0 and again.json()["existing"] == 5
    assert (
        client.post("/api/v1/complaints/bulk", json={"items": items}, headers=headers["analyst"]).status_code
        == 403
    )
    assert client.post("/api/v1/complaints/bulk", json={"items": items}).status_code == 401


def test_list_detail_scope_mask_and_reveal(client: TestClient, db_session: Session) -> None:
    world, headers = _setup(db_session)
    (ticket,) = intake.register(session=db_session, ticket_in=ticket_in(), actor=world.officer)
    db_session.commit()
    page = client.get("/api/v1/complaints", params={"queue": "review"}, headers=headers["officer"]).json()
    assert page["total"] == sum(1 for t in page["items"] if t["needs_review"])
    listed = client.get("/api/v1/complaints", headers=headers["officer"]).json()
    assert ticket.id in [t["id"] for t in listed["items"]]
    detail = client.get(f"/api/v1/complaints/{ticket.id}", headers=headers["officer"]).json()
    assert detail["party"]["phone"] == "138****1234" and detail["masked"]
    assert detail["triage_detail"]["routing"]["reasons"]
    assert detail["handling_org_name"] == "卢沟桥市场监管所"
    assert (
        client.get(f"/api/v1/complaints/{ticket.id}", headers=headers["haidian_officer"]).status_code == 404
    )
    assert (
        client.get(f"/api/v1/complaints/{ticket.id}", headers=headers["platform_handler"]).status_code == 404
    )
    revealed = client.post(f"/api/v1/complaints/{ticket.id}/reveal", headers=headers["officer"])
    assert revealed.status_code == 200 and revealed.json()["phone"] == "13800001234"
    views = db_session.scalars(
        select(AuditEvent).where(AuditEvent.action == "pii.view", AuditEvent.object_id == str(ticket.id))
    ).all()
    assert len(views) == 1
    assert (
        client.post(f"/api/v1/complaints/{ticket.id}/reveal", headers=headers["analyst"]).status_code == 403
    )
    timeline = client.get(f"/api/v1/complaints/{ticket.id}/timeline", headers=headers["officer"]).json()
    assert [e["action"] for e in timeline] == ["registered", "triaged"]
    bad = client.get("/api/v1/complaints", params={"month": "2025-13"}, headers=headers["officer"])
    assert bad.status_code == 422


def test_actions_accept_and_business(client: TestClient, db_session: Session) -> None:
    world, headers = _setup(db_session)
    (ticket,) = intake.register(
        session=db_session,
        ticket_in=ticket_in(business_name="示例健身中心", title="健身卡", text="健身卡不退费。"),
        actor=world.officer,
    )
    db_session.commit()
    resp = client.post(
        f"/api/v1/complaints/{ticket.id}/business",
        json={"entity_id": world.gym_a},
        headers=headers["officer"],
    )
    assert resp.status_code == 200 and resp.json()["link_status"] == "confirmed"
    resp = client.post(
        f"/api/v1/complaints/{ticket.id}/accept", json={"note": "材料齐全"}, headers=headers["officer"]
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["status"] == "accepted"
    again = client.post(f"/api/v1/complaints/{ticket.id}/accept", json={}, headers=headers["officer"])
    assert again.status_code in (409, 422)
    denied = client.post(f"/api/v1/complaints/{ticket.id}/accept", json={}, headers=headers["analyst"])
    assert denied.status_code in (403, 404)
