"""Acceptance in real headless Chromium (issue 5): an officer opens an audit run, filters to one shop,
opens a finding and sees the price timeline (ECharts canvas) and the article it cites."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.price_audit.support import rich_history, write_observations, write_transactions
from tests.price_audit_web.support import D_SALES
from tianping.demo import DEMO_PASSWORD
from tianping.price_audit import run_audit

SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


def _shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _audit(home: str, work: Path) -> str:
    """Run the real audit (DuckDB) into the live server's data directory; returns the run id."""
    obs, tx = rich_history()
    obs_path = write_observations(work / "obs.csv", obs)
    tx_path = write_transactions(work / "tx.csv", tx + D_SALES)
    return run_audit(observations=obs_path, transactions=tx_path, home=Path(home)).run_id


def test_officer_opens_a_run_filters_to_a_shop_and_sees_the_chart(
    page: Page, live_server: dict[str, str], tmp_path: Path
) -> None:
    base = live_server["base_url"]
    run_id = _audit(live_server["home"], tmp_path)
    page.goto(f"{base}/login")
    page.fill("#username", "officer")
    page.fill("#password", DEMO_PASSWORD)
    page.click("[data-testid=login-submit]")
    expect(page.locator(".who")).to_contain_text("officer")

    page.goto(f"{base}/prices/runs")
    expect(page.locator("h1")).to_contain_text("价格审计运行")
    page.click(f"[data-testid=run-row][data-run-id='{run_id}'] [data-testid=run-link]")
    expect(page.locator("[data-testid=findings-count]")).to_contain_text("共 7 条")
    _shot(page, "price-audit-run")

    page.select_option("[data-testid=filter-platform]", "tmall")
    page.fill("[data-testid=filter-shop]", "旗舰店")
    page.click("[data-testid=filter-submit]")
    rows = page.locator("[data-testid=finding-row]")
    expect(rows).to_have_count(3)
    for i in range(3):
        expect(rows.nth(i)).to_have_attribute("data-shop", "旗舰店")
    expect(page.locator("[data-testid=shop-row]")).to_have_count(1)

    page.click("[data-testid=finding-row][data-rule=R3] [data-testid=finding-link]")
    expect(page.locator("h1")).to_contain_text("先涨后降")
    expect(page.locator("[data-testid=finding-article]")).to_have_text(
        "《明码标价和禁止价格欺诈规定》第十七条第一款"
    )
    expect(page.locator("[data-testid=finding-explanation]")).to_contain_text("临时显著提高")
    chart = page.locator("[data-testid=price-timeline]")
    expect(chart).to_have_attribute("data-rendered", "1")
    expect(chart.locator("canvas").first).to_be_visible()
    box = chart.locator("canvas").first.bounding_box()
    assert box is not None and box["width"] > 400 and box["height"] > 300
    expect(page.locator("[data-testid=raise-point]")).to_contain_text("¥150.00")
    expect(page.locator("[data-testid=window-bounds]")).to_have_text("2025-05-25 至 2025-05-31")
    _shot(page, "price-audit-finding")


def test_officer_turns_a_finding_into_a_lead_and_keeps_its_snapshot(
    page: Page, live_server: dict[str, str], tmp_path: Path
) -> None:
    base = live_server["base_url"]
    run_id = _audit(live_server["home"], tmp_path)
    page.goto(f"{base}/login")
    page.fill("#username", "officer")
    page.fill("#password", DEMO_PASSWORD)
    page.click("[data-testid=login-submit]")
    expect(page.locator(".who")).to_contain_text("officer")

    finding_url = f"{base}/prices/runs/{run_id}/findings/6"  # R7: checkout above the detail price
    page.goto(finding_url)
    expect(page.locator("[data-testid=finding-article]")).to_have_text(
        "《明码标价和禁止价格欺诈规定》第十九条第（二）项"
    )
    page.click("[data-testid=open-lead]")
    expect(page).to_have_url(re.compile(r"/complaints/\d+$"))
    expect(page.locator("body")).to_contain_text("价格审计线索")

    page.goto(finding_url)
    expect(page.locator("[data-testid=lead-ticket]")).to_contain_text("已转为线索")
    page.click("[data-testid=attach-evidence]")
    receipt = page.locator("[data-testid=evidence-receipt] a")
    expect(receipt).to_have_attribute("href", re.compile(r"^/evidence/receipts/\d+\?t=[0-9a-f]{32}$"))
    _shot(page, "price-audit-lead")
    receipt.click()
    expect(page).to_have_url(re.compile(r"/evidence/receipts/\d+"))
