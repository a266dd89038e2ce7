"""Acceptance in real headless Chromium against a real server with the demo dataset.

* an officer finds an entity by a misspelt alias, opens it and sees personal data masked;
* an analyst sees no personal data anywhere and cannot reveal it;
* a platform handler cannot open another platform's shop.
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

from playwright.sync_api import Page, expect

from tianping.demo import DEMO_PASSWORD

SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"

# Unmasked personal data looks like a full mobile number or an 18-character ID number.
FULL_MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
FULL_ID = re.compile(r"(?<![\dXx])\d{17}[\dXx](?![\dXx])")


def _login(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", DEMO_PASSWORD)
    page.click("[data-testid=login-submit]")
    expect(page.locator(".who")).to_contain_text(username)


def _query(db: str, sql: str, *args: object) -> list[tuple]:  # type: ignore[type-arg]
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, args).fetchall()


def _shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_officer_finds_entity_by_misspelt_alias_and_sees_masked_data(
    page: Page, live_server: dict[str, str]
) -> None:
    base = live_server["base_url"]
    _login(page, base, "officer")
    _shot(page, "home-officer")
    page.goto(f"{base}/entities")
    page.fill("[data-testid=search-input]", "示列外卖")  # 列 for 例: a typo of the brand alias 示例外卖
    page.click("[data-testid=search-submit]")
    first = page.locator("[data-testid=result-row]").first
    expect(first).to_contain_text("示例外卖平台")
    _shot(page, "search-typo")
    first.locator("a").first.click()
    expect(page.locator("[data-testid=entity-name]")).to_contain_text("示例外卖平台（北京）科技有限公司")
    rep = page.locator("[data-testid=legal-rep]")
    phone = page.locator("[data-testid=contact-phone]")
    expect(rep).to_contain_text("*")
    expect(phone).to_contain_text("****")
    assert not FULL_MOBILE.search(page.content())
    _shot(page, "entity-masked")
    # officers may open the personal data, and that view is audited
    expect(page.locator("[data-testid=reveal-pii]")).to_be_visible()
    page.click("[data-testid=reveal-pii]")
    expect(page.locator("[data-testid=pii-revealed]")).to_be_visible()
    revealed = page.locator("[data-testid=contact-phone]").inner_text()
    assert "*" not in revealed and re.search(r"\d{8}", revealed.replace("-", ""))
    entity_id = _query(
        live_server["db"], "SELECT id FROM registry_entity WHERE name = ?", "示例外卖平台（北京）科技有限公司"
    )[0][0]
    audited = _query(
        live_server["db"],
        "SELECT actor_username FROM audit_event WHERE action = 'pii.view' AND object_id = ?",
        str(entity_id),
    )
    assert ("officer",) in audited


def test_analyst_never_sees_personal_data(page: Page, live_server: dict[str, str]) -> None:
    base, db = live_server["base_url"], live_server["db"]
    _login(page, base, "analyst")
    expect(page.locator("[data-testid=kpis]")).to_be_visible()
    _shot(page, "home-analyst")
    individual = _query(
        db,
        "SELECT id, operator_id_card FROM registry_entity "
        "WHERE kind = 'individual_business' AND operator_id_card IS NOT NULL LIMIT 1",
    )[0]
    page.goto(f"{base}/entities/{individual[0]}")
    expect(page.locator("[data-testid=entity-name]")).to_be_visible()
    html = page.content()
    assert individual[1] not in html
    assert not FULL_MOBILE.search(html) and not FULL_ID.search(html)
    expect(page.locator("[data-testid=reveal-pii]")).to_have_count(0)
    _shot(page, "entity-analyst")
    # forging the reveal request does not help
    token = page.locator('meta[name="csrf-token"]').get_attribute("content")
    status = page.evaluate(
        """async ([url, token]) => {
            const r = await fetch(url, {method: 'POST', body: new URLSearchParams({csrf_token: token})});
            return r.status; }""",
        [f"/entities/{individual[0]}/reveal", token],
    )
    assert status == 403
    # nor does the list page show any
    page.goto(f"{base}/entities?kind=individual_business")
    html = page.content()
    assert not FULL_MOBILE.search(html) and not FULL_ID.search(html)


def test_platform_handler_cannot_open_another_platforms_shop(page: Page, live_server: dict[str, str]) -> None:
    base, db = live_server["base_url"], live_server["db"]
    own_platform = _query(
        db, "SELECT id FROM registry_entity WHERE name = ?", "示例外卖平台（北京）科技有限公司"
    )[0][0]
    own_shop = _query(db, "SELECT id, name FROM registry_entity WHERE platform_id = ? LIMIT 1", own_platform)[
        0
    ]
    other_shop = _query(
        db,
        "SELECT id, name FROM registry_entity WHERE kind = 'platform_shop' AND platform_id <> ? LIMIT 1",
        own_platform,
    )[0]
    _login(page, base, "platform_handler")
    page.goto(f"{base}/entities/{own_shop[0]}")
    expect(page.locator("[data-testid=entity-name]")).to_contain_text(own_shop[1])
    response = page.goto(f"{base}/entities/{other_shop[0]}")
    assert response is not None and response.status == 404
    assert other_shop[1] not in page.content()
    _shot(page, "platform-other-shop")
    page.goto(f"{base}/entities?q={other_shop[1]}")
    rows = page.locator("[data-testid=result-row]")
    for i in range(rows.count()):
        assert other_shop[1] not in rows.nth(i).inner_text()
    api = page.request.get(f"{base}/api/v1/entities/{other_shop[0]}")
    assert api.status == 404
