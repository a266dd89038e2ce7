"""Acceptance in real headless Chromium: the 到手价 calculator and the officers' rule review.

* a consumer (not signed in) builds a 3-line cart on the calculator and sees the payable and the steps;
* the ambiguous sample shows the consumer the range of payables in plain words;
* an officer lints the ambiguous sample and sees the counterexample cart.
"""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page, expect

from tianping.demo import DEMO_PASSWORD

SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


def _shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _fill_row(page: Page, index: int, values: tuple[str, str, str, str, str]) -> None:
    row = page.locator("[data-testid=cart-row]").nth(index)
    for name, value in zip(("sku", "shop", "category", "price", "qty"), values, strict=True):
        row.locator(f"input[name={name}]").fill(value)


def test_consumer_builds_a_cart_and_sees_the_steps(page: Page, live_server: dict[str, str]) -> None:
    base = live_server["base_url"]
    page.goto(f"{base}/promotions/calculator?sample=")
    expect(page.locator(".who")).to_contain_text("登录")  # anonymous
    # choose the 双十一 sample: htmx swaps in the rules and the held-coupon checkboxes
    page.select_option("[data-testid=sample-select]", "shuang11")
    expect(page.locator("[data-testid=rules-input]")).to_have_value(re.compile("P-CROSS"))
    expect(page.locator("[data-testid=coupon-Q-199-20]")).to_be_visible()
    # start from one empty row, add two more with the button
    rows = page.locator("[data-testid=cart-row]")
    while rows.count() > 1:
        rows.first.locator("[data-action=remove-row]").click()
    _fill_row(page, 0, ("", "", "", "", ""))
    page.click("[data-testid=add-row]")
    page.click("[data-testid=add-row]")
    expect(rows).to_have_count(3)
    _fill_row(page, 0, ("YR-001", "示例服饰旗舰店", "服装", "399.00", "1"))
    _fill_row(page, 1, ("WY-002", "示例服饰旗舰店", "服装", "169.00", "2"))
    _fill_row(page, 2, ("EJ-003", "示例数码专营店", "数码", "259.00", "1"))
    page.check("[data-testid=coupon-Q-199-20]")
    page.click("[data-testid=quote-submit]")
    expect(page.locator("[data-testid=payable]")).to_have_text("应付 ¥766.20")
    steps = page.locator("[data-testid=quote-step]")
    expect(steps).to_have_count(4)
    expect(steps.nth(1)).to_contain_text("满500减80")
    expect(page.locator("[data-testid=line-row]")).to_have_count(3)
    expect(page.locator("[data-testid=lines-table]")).to_contain_text("−¥38.86")
    _shot(page, "promotion-calculator")


def test_consumer_sees_the_ambiguity_in_plain_words(page: Page, live_server: dict[str, str]) -> None:
    base = live_server["base_url"]
    page.goto(f"{base}/promotions/calculator?sample=ambiguous")
    rows = page.locator("[data-testid=cart-row]")
    for i in range(rows.count()):
        _fill_row(page, i, ("", "", "", "", ""))
    _fill_row(page, 0, ("BWB-01", "示例优选店", "家居", "200.00", "1"))
    page.check("[data-testid=coupon-Q1]")
    page.click("[data-testid=quote-submit]")
    warning = page.locator("[data-testid=ambiguity-warning]")
    expect(warning).to_contain_text("规则有歧义：按不同理解，应付金额在 ¥140.00 – ¥170.00 之间")
    expect(warning).to_contain_text("满减门槛按标价还是按折后价计算没有写明")
    _shot(page, "promotion-calculator-ambiguous")


def test_parse_box_fills_the_rules(page: Page, live_server: dict[str, str]) -> None:
    base = live_server["base_url"]
    page.goto(f"{base}/promotions/calculator")
    page.click("summary:has-text('从文案解析')")
    page.fill("[data-testid=phrases-input]", "店铺满300减40，满500减80；满199减20券")
    page.click("[data-testid=parse-submit]")
    expect(page.locator("[data-testid=parse-result]")).to_contain_text("文案未说明")
    _shot(page, "promotion-parse")
    page.click("[data-testid=use-parsed]")
    expect(page.locator("[data-testid=coupon-Q1]")).to_be_visible()


def test_officer_lints_the_ambiguous_sample_and_sees_the_counterexample(
    page: Page, live_server: dict[str, str]
) -> None:
    base = live_server["base_url"]
    page.goto(f"{base}/login")
    page.fill("#username", "officer")
    page.fill("#password", DEMO_PASSWORD)
    page.click("[data-testid=login-submit]")
    expect(page.locator(".mainnav")).to_contain_text("促销规则审查")
    page.click("text=促销规则审查")
    page.click("[data-testid=review-sample-ambiguous]")
    page.click("[data-testid=lint-submit]")
    report = page.locator("[data-testid=lint-report]")
    expect(report).to_be_visible()
    first = page.locator("[data-testid=finding-row]").first
    expect(first).to_contain_text("未写明是否每满")
    expect(first.locator("[data-testid=counterexample]")).to_contain_text("示例优选店")
    expect(page.locator("[data-testid=claim-status]").first).to_have_text("取决于理解")
    _shot(page, "promotion-review")
    with page.expect_download() as info:
        page.click("[data-testid=export-report]")
    assert info.value.suggested_filename.endswith(".xlsx")
