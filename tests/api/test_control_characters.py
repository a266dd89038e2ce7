"""Control characters (e.g. NUL, which PostgreSQL text cannot hold) are a 422 naming the field."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.factories import actor_of, make_org, make_user
from tianping.core.authz import Role
from tianping.core.textinput import has_control_characters
from tianping.identity import service
from tianping.identity.models import OrgKind


@pytest.mark.parametrize(
    ("text", "bad"),
    [
        ("示例\x00公司", True),
        ("a\x07b", True),
        ("x\x9fy", True),
        ("第一行\n第二行\t制表", False),
        ("普通文字", False),
    ],
)
def test_has_control_characters(text: str, bad: bool) -> None:
    assert has_control_characters(text) is bad


def test_nul_in_org_name_is_a_field_error(client: TestClient, db_session: Session) -> None:
    city = make_org(db_session, "北京市市场监督管理局（控制字符）", OrgKind.CITY_BUREAU)
    admin = make_user(db_session, "ctrladmin", Role.ADMIN, org=city)
    _, token = service.create_api_token(
        db_session, user_id=admin.id, name="t", actor=actor_of(db_session, admin)
    )
    db_session.commit()  # keep the setup when a failed request rolls its savepoint back
    headers = {"Authorization": f"Bearer {token}"}
    resp = client.get("/api/v1/entities", params={"q": "示例\x00"}, headers=headers)
    assert resp.status_code == 422, resp.text
    resp = client.post(
        "/api/v1/orgs", json={"name": "示例\x00机构", "kind": "district_bureau"}, headers=headers
    )
    assert resp.status_code == 422
    body = resp.json()
    assert any("name" in str(err.get("field", err)) and "控制字符" in str(err) for err in body["errors"]), (
        body
    )


def test_nul_in_audit_filters_is_a_field_error(client: TestClient, db_session: Session) -> None:
    city = make_org(db_session, "北京市市场监督管理局（审计筛选）", OrgKind.CITY_BUREAU)
    admin = make_user(db_session, "ctrlaudit", Role.ADMIN, org=city)
    _, token = service.create_api_token(
        db_session, user_id=admin.id, name="t", actor=actor_of(db_session, admin)
    )
    db_session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    for field in ("action", "username", "object_type", "object_id"):
        resp = client.get("/api/v1/audit", params={field: "a\x00"}, headers=headers)
        assert resp.status_code == 422, resp.text
        assert any(e["field"].endswith(field) for e in resp.json()["errors"]), resp.text
    assert (
        client.get("/api/v1/audit", params={"action": "complaints.register"}, headers=headers).status_code
        == 200
    )
