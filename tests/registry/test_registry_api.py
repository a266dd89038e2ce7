"""Registry through the real app: JSON API (validation, scope, reveal, import) and the pages."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.factories import login
from tests.registry.registry_support import World, build_world, uscc
from tianping.core.audit import AuditEvent
from tianping.registry import IMPORT_COLUMNS

API = "/api/v1/entities"


@pytest.fixture
def world(db_session: Session) -> World:
    return build_world(db_session)


def _as(client: TestClient, username: str) -> str:
    csrf = login(client, username)
    client.headers["X-CSRF-Token"] = csrf
    return csrf


def _csv(rows: list[dict[str, str]]) -> bytes:
    lines = [",".join(IMPORT_COLUMNS.values())]
    lines += [",".join(r.get(k, "") for k in IMPORT_COLUMNS) for r in rows]
    return ("\n".join(lines) + "\n").encode("gbk")


# ------------------------------------------------------------------------------------------------
# JSON API


def test_api_requires_a_user(client: TestClient) -> None:
    resp = client.get(API)
    assert resp.status_code == 401 and resp.json()["code"] == "not_authenticated"


def test_api_list_search_and_get(client: TestClient, world: World) -> None:
    _as(client, "reg-city")
    body = client.get(API, params={"q": "示列外卖", "page_size": 5}).json()
    assert body["items"][0]["id"] == world.platform_a.id and body["items"][0]["matched"] == "示例外卖"
    assert body["page"] == 1 and body["page_size"] == 5 and body["total"] >= 1
    listing = client.get(API, params={"kind": "platform_shop", "district": "110105"}).json()
    assert [i["id"] for i in listing["items"]] == [world.shop_b.id]
    salon = client.get(f"{API}/{world.salon.id}").json()
    assert salon["contact_phone"] == "138****8000" and salon["pii_masked"] is True
    bad = client.get(API, params={"page_size": 500, "industry": "ZZ"})
    assert bad.status_code == 422
    fields = {e["field"] for e in bad.json()["errors"]}
    assert {"page_size", "industry"} <= fields


def test_api_platform_handler_gets_404_for_another_platforms_shop(client: TestClient, world: World) -> None:
    _as(client, "reg-platform")
    assert client.get(f"{API}/{world.shop_a.id}").status_code == 200
    resp = client.get(f"{API}/{world.shop_b.id}")
    assert resp.status_code == 404 and resp.json()["code"] == "not_found"
    ids = {i["id"] for i in client.get(API, params={"page_size": 200}).json()["items"]}
    assert ids == {world.platform_a.id, world.shop_a.id}


def test_api_create_validation_and_update(client: TestClient, world: World) -> None:
    _as(client, "reg-haidian")
    bad = client.post(API, json={"kind": "enterprise", "name": "海淀示范书店", "uscc": "911101080000000000"})
    assert bad.status_code == 422
    assert any(e["field"] == "uscc" and "校验位" in e["message"] for e in bad.json()["errors"])
    unknown = client.post(API, json={"kind": "company", "name": "x", "colour": "red"})
    assert {e["field"] for e in unknown.json()["errors"]} >= {"kind", "colour"}
    created = client.post(
        API,
        json={
            "kind": "enterprise",
            "name": "海淀示范书店有限公司",
            "uscc": uscc(40),
            "division_code": "110108",
        },
    )
    assert created.status_code == 201, created.text
    entity_id = created.json()["id"]
    patched = client.patch(f"{API}/{entity_id}", json={"status": "suspended", "tags": ["书店"]})
    assert patched.status_code == 200 and patched.json()["status_label"] == "停业"
    outside = client.post(
        API,
        json={
            "kind": "enterprise",
            "name": "朝阳示范",
            "uscc": uscc(41, district="110105"),
            "division_code": "110105",
        },
    )
    assert outside.status_code == 403
    assert client.patch(f"{API}/{world.trader.id}", json={"status": "revoked"}).status_code == 404


def test_api_reveal_is_audited_and_refused_to_analysts(
    client: TestClient, db_session: Session, world: World
) -> None:
    _as(client, "reg-analyst")
    assert client.post(f"{API}/{world.salon.id}/reveal").status_code == 403
    client.cookies.clear()
    _as(client, "reg-haidian")
    without_csrf = client.post(f"{API}/{world.salon.id}/reveal", headers={"X-CSRF-Token": "wrong"})
    assert without_csrf.status_code == 401
    revealed = client.post(f"{API}/{world.salon.id}/reveal")
    assert revealed.status_code == 200 and revealed.json()["contact_phone"] == "13800138000"
    events = db_session.scalars(select(AuditEvent).where(AuditEvent.action == "pii.view")).all()
    assert [(e.object_id, e.actor_username) for e in events] == [(str(world.salon.id), "reg-haidian")]


def test_api_import_reports_rows(client: TestClient, world: World) -> None:
    _as(client, "reg-city")
    good = _csv(
        [{"name": "北京示范眼镜有限公司", "kind": "企业", "uscc": uscc(50), "division_code": "110108"}]
    )
    resp = client.post(f"{API}/import", files={"file": ("名录.csv", good, "text/csv")})
    assert resp.status_code == 200 and resp.json()["created"] == 1
    again = client.post(f"{API}/import", files={"file": ("名录.csv", good, "text/csv")}).json()
    assert (again["created"], again["unchanged"]) == (0, 1)
    bad = _csv([{"name": "北京示范二号有限公司", "kind": "企业", "uscc": "91110108000000000X"}])
    resp = client.post(f"{API}/import", files={"file": ("bad.csv", bad, "text/csv")})
    assert resp.status_code == 422
    body = resp.json()
    assert body["code"] == "import_rejected"
    assert body["errors"][0]["row"] == 2 and body["errors"][0]["column"] == "统一社会信用代码"
    mapping = client.post(
        f"{API}/import", files={"file": ("a.csv", good, "text/csv")}, data={"mapping": "{not json"}
    )
    assert mapping.status_code == 422 and mapping.json()["code"] == "file_rejected"
    _as(client, "reg-analyst")
    assert client.post(f"{API}/import", files={"file": ("a.csv", good, "text/csv")}).status_code == 403


# ------------------------------------------------------------------------------------------------
# Pages


def test_list_page_searches_and_filters(client: TestClient, world: World) -> None:
    _as(client, "reg-city")
    page = client.get("/entities", params={"q": "样例优选"})
    assert page.status_code == 200 and 'data-testid="search-input"' in page.text
    rows = re.findall(r'data-testid="result-row" data-entity-id="(\d+)"', page.text)
    assert rows[0] == str(world.platform_b.id)
    filtered = client.get("/entities", params={"q": "", "kind": "", "district": "110106", "industry": ""})
    assert filtered.status_code == 200
    assert set(re.findall(r'data-entity-id="(\d+)"', filtered.text)) == {
        str(world.school.id),
        str(world.gym.id),
    }


def test_detail_page_masks_and_reveals(client: TestClient, db_session: Session, world: World) -> None:
    csrf = _as(client, "reg-haidian")
    page = client.get(f"/entities/{world.salon.id}")
    assert page.status_code == 200
    assert re.search(r'data-testid="contact-phone" class="masked">138\*\*\*\*8000<', page.text)
    assert 'data-testid="reveal-pii"' in page.text and "13800138000" not in page.text
    assert client.post(f"/entities/{world.salon.id}/reveal", data={}).status_code == 403
    revealed = client.post(f"/entities/{world.salon.id}/reveal", data={"csrf_token": csrf})
    assert revealed.status_code == 200
    assert 'data-testid="contact-phone" >13800138000<' in revealed.text or ">13800138000<" in revealed.text
    assert 'data-testid="pii-revealed"' in revealed.text
    assert len(db_session.scalars(select(AuditEvent).where(AuditEvent.action == "pii.view")).all()) == 1
    platform = client.get(f"/entities/{world.platform_a.id}")
    assert (
        'data-testid="panel-registry.platform_operators"' in platform.text
        and world.shop_a.name in platform.text
    )
    assert client.get(f"/entities/{world.trader.id}").status_code == 404


def test_analyst_sees_no_reveal_button(client: TestClient, world: World) -> None:
    _as(client, "reg-analyst")
    page = client.get(f"/entities/{world.salon.id}")
    assert page.status_code == 200 and 'data-testid="reveal-pii"' not in page.text
    assert 'class="masked"' in page.text


def test_import_page(client: TestClient, world: World) -> None:
    csrf = _as(client, "reg-city")
    assert client.get("/entities/import").status_code == 200
    bad = _csv(
        [
            {"name": "北京示范甲有限公司", "kind": "企业", "uscc": uscc(60), "established_on": "2020-02-30"},
            {"name": "北京示范乙有限公司", "kind": "企业", "uscc": uscc(60)},
        ]
    )
    resp = client.post(
        "/entities/import", files={"file": ("bad.csv", bad, "text/csv")}, data={"csrf_token": csrf}
    )
    assert resp.status_code == 422
    errors = re.findall(r'<tr data-testid="error-row"><td>(\d+)</td><td>([^<]*)</td>', resp.text)
    assert errors == [("2", "成立日期"), ("3", "统一社会信用代码")]
    good = _csv([{"name": "北京示范丙有限公司", "kind": "企业", "uscc": uscc(61), "division_code": "110108"}])
    ok = client.post(
        "/entities/import", files={"file": ("ok.csv", good, "text/csv")}, data={"csrf_token": csrf}
    )
    assert ok.status_code == 200 and 'data-testid="count-created">1<' in ok.text
    no_csrf = client.post("/entities/import", files={"file": ("ok.csv", good, "text/csv")})
    assert no_csrf.status_code == 403
    _as(client, "reg-analyst")
    assert client.get("/entities/import").status_code == 403
