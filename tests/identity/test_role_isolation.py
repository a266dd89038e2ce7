"""For each role: what it must not see, it cannot see — through pages, the API or exports.

One world of entities in three districts and two platforms (tests/registry/registry_support.py); each
role logs in through the real login form and reads the list page, every detail page, the JSON API and
the CSV export. Personal data of the individual business must never appear unmasked in any of them.
"""

from __future__ import annotations

import csv
import io
import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.factories import login
from tests.registry.registry_support import World, build_world

FULL_PHONE = "13800138000"
FULL_ID = "110105198001010024"

# role key -> (login name, names of the entities it may see)
VISIBLE = {
    "city": (
        "reg-city",
        {"platform_a", "platform_b", "shop_a", "shop_b", "salon", "school", "gym", "trader"},
    ),
    "haidian": ("reg-haidian", {"platform_a", "shop_a", "salon"}),
    "station": ("reg-station", {"shop_a", "salon"}),
    "education": ("reg-edu", {"school"}),
    "platform": ("reg-platform", {"platform_a", "shop_a"}),
    "analyst": (
        "reg-analyst",
        {"platform_a", "platform_b", "shop_a", "shop_b", "salon", "school", "gym", "trader"},
    ),
}
ALL = ("platform_a", "platform_b", "shop_a", "shop_b", "salon", "school", "gym", "trader")


@pytest.fixture
def world(db_session: Session) -> World:
    return build_world(db_session)


@pytest.mark.parametrize("role", list(VISIBLE))
def test_role_sees_only_its_reach(role: str, world: World, client: TestClient) -> None:
    username, visible = VISIBLE[role]
    entities = {key: getattr(world, key) for key in ALL}
    login(client, username)

    # detail pages and API records: in reach -> 200, out of reach -> 404 (existence not revealed)
    for key, entity in entities.items():
        page = client.get(f"/entities/{entity.id}")
        api = client.get(f"/api/v1/entities/{entity.id}")
        expected = 200 if key in visible else 404
        assert page.status_code == expected, (role, key, "page")
        assert api.status_code == expected, (role, key, "api")
        if expected == 404:
            assert entity.name not in page.text
        for body in (page.text, api.text):
            assert FULL_PHONE not in body and FULL_ID not in body, (role, key)

    # the list page (a shop's row may name its platform; the rows themselves are what is scoped)
    listing = client.get("/entities?page_size=200")
    assert listing.status_code == 200
    row_ids = {int(i) for i in re.findall(r'data-testid="result-row" data-entity-id="(\d+)"', listing.text)}
    assert row_ids == {entities[k].id for k in visible}, (role, "list page")
    assert FULL_PHONE not in listing.text and FULL_ID not in listing.text

    # the JSON API list
    api_list = client.get("/api/v1/entities?page_size=200")
    assert api_list.status_code == 200
    assert {item["id"] for item in api_list.json()["items"]} == {entities[k].id for k in visible}
    assert FULL_PHONE not in api_list.text and FULL_ID not in api_list.text

    # exports (web download and API), always masked
    for url in ("/entities/export.csv", "/api/v1/entities/export?format=csv"):
        export = client.get(url)
        assert export.status_code == 200, url
        rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))
        assert rows[0][0] == "编号"
        assert {int(r[0]) for r in rows[1:]} == {entities[k].id for k in visible}, (role, url)
        assert FULL_PHONE not in export.text and FULL_ID not in export.text


@pytest.mark.parametrize("role", ["education", "platform", "analyst"])
def test_roles_without_pii_permission_cannot_reveal(role: str, world: World, client: TestClient) -> None:
    username, visible = VISIBLE[role]
    csrf = login(client, username)
    target = world.salon if "salon" in visible else getattr(world, sorted(visible)[0])
    page = client.post(f"/entities/{target.id}/reveal", data={"csrf_token": csrf})
    assert page.status_code == 403
    api = client.post(f"/api/v1/entities/{target.id}/reveal", headers={"X-CSRF-Token": csrf})
    assert api.status_code == 403
    assert FULL_PHONE not in page.text + api.text and FULL_ID not in page.text + api.text


def test_officer_reveal_is_one_record_and_audited(world: World, client: TestClient) -> None:
    csrf = login(client, "reg-haidian")
    resp = client.post(f"/api/v1/entities/{world.salon.id}/reveal", headers={"X-CSRF-Token": csrf})
    assert resp.status_code == 200
    assert resp.json()["contact_phone"] == FULL_PHONE and resp.json()["operator_id_card"] == FULL_ID
    out_of_reach = client.post(f"/api/v1/entities/{world.gym.id}/reveal", headers={"X-CSRF-Token": csrf})
    assert out_of_reach.status_code == 404


def test_anonymous_sees_nothing(world: World, client: TestClient) -> None:
    assert client.get("/entities").status_code == 303
    assert client.get(f"/entities/{world.salon.id}").status_code == 303
    assert client.get("/entities/export.csv").status_code == 303
    assert client.get("/api/v1/entities").status_code == 401
    assert client.get(f"/api/v1/entities/{world.salon.id}").status_code == 401
    assert client.get("/api/v1/entities/export").status_code == 401


def test_export_is_audited_and_xlsx_opens(world: World, client: TestClient, db_session: Session) -> None:
    from openpyxl import load_workbook
    from sqlalchemy import select

    from tianping.core.audit import AuditEvent

    login(client, "reg-city")
    resp = client.get("/entities/export.xlsx?district=110108")
    assert resp.status_code == 200
    wb = load_workbook(io.BytesIO(resp.content), read_only=True)
    rows = list(wb["经营主体"].iter_rows(values_only=True))
    names = {r[1] for r in rows[1:]}
    assert names == {world.platform_a.name, world.shop_a.name, world.salon.name}
    assert all(FULL_PHONE not in str(v) for r in rows for v in r)
    event = db_session.scalars(select(AuditEvent).where(AuditEvent.action == "registry.export")).first()
    assert event is not None and event.detail["rows"] == 3 and event.actor_username == "reg-city"
