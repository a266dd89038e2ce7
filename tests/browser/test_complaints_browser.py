"""A complaint from the public form to the monthly workbook, in real headless Chromium against a real
server with the demo dataset:

a consumer files a complaint about a fictitious shop on a delivery platform; an officer sees it
triaged (category, business, station, member unit) with the reasons and accepts it, handing it to the
platform first; the platform handler replies with a refund; the consumer accepts through the link;
another officer records the callback; the dashboard and the monthly workbook count the ticket.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import sqlite3
from pathlib import Path

from openpyxl import load_workbook
from playwright.sync_api import Browser, Page, expect

from tianping.demo import DEMO_PASSWORD
from tianping.demo.evidence import product_page_screenshot

SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
SHOP = "璟乐川菜馆（成寿寺店）"  # a demo shop on 示例外卖平台, 丰台区成寿寺街道 (卢沟桥市场监管所)
PLATFORM = "示例外卖平台（北京）科技有限公司"


def _shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _login(page: Page, base: str, username: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", DEMO_PASSWORD)
    page.click("[data-testid=login-submit]")
    expect(page.locator(".who")).to_contain_text(username)


def _query(db: str, sql: str, *args: object) -> list[tuple]:  # type: ignore[type-arg]
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, args).fetchall()


def _volume(page: Page, base: str, month: str) -> int:
    page.goto(f"{base}/complaints/dashboard?month={month}")
    text = page.locator("[data-testid=figure-volume] [data-testid=figure-value]").inner_text()
    return int(text.replace(",", ""))


def test_a_complaint_from_the_public_form_to_the_monthly_workbook(
    page: Page, browser: Browser, live_server: dict[str, str], tmp_path: Path
) -> None:
    base, db = live_server["base_url"], live_server["db"]
    month = _query(db, "select strftime('%Y-%m', 'now', '+8 hours')")[0][0]
    _login(page, base, "officer")
    volume_before = _volume(page, base, month)
    page.context.clear_cookies()

    # 1. The consumer files the complaint on the public form (no login).
    page.goto(f"{base}/complaints/new")
    expect(page.locator("h1")).to_have_text("网上投诉举报")
    page.check("[data-testid=kind-complaint]")
    page.fill("[data-testid=party-name]", "赵虚构")
    page.fill("[data-testid=party-phone]", "13700001234")
    page.fill("[data-testid=party-address]", "北京市丰台区成寿寺街道虚构小区5号楼")
    page.fill("[data-testid=business-name]", SHOP)
    page.fill("[data-testid=business-address]", "北京市丰台区成寿寺街道虚构路12号")
    page.select_option("[data-testid=platform]", label=PLATFORM)
    page.fill("[data-testid=order-no]", "WM2025060800123")
    page.fill("[data-testid=amount]", "500")
    page.fill("[data-testid=title]", "餐厅储值卡余额拒绝使用")
    page.fill(
        "[data-testid=text]",
        f"在{PLATFORM}上购买了{SHOP}的储值卡，充值500元，会员卡余额还剩380元。"
        "现在店铺称储值卡不能再用，拒绝退还卡内余额。",
    )
    page.fill("[data-testid=demand]", "退还储值卡余额380元")
    evidence = tmp_path / "储值卡截图.png"
    evidence.write_bytes(product_page_screenshot())
    page.set_input_files("[data-testid=attachments]", str(evidence))
    _shot(page, "complaints-public-form")
    page.click("[data-testid=complaint-submit]")
    expect(page.locator("[data-testid=filed-ok]")).to_be_visible()
    ticket_no = page.locator("[data-testid=filed-ticket-no]").first.inner_text().strip()
    expect(page.locator("[data-testid=filed-accept-due]")).to_contain_text("第十四条")
    expect(page.locator("[data-testid=filed-evidence]")).to_contain_text("1")
    _shot(page, "complaints-filed")
    filed_url = page.url

    # 1b. The consumer keeps the screenshot's receipt and checks it on the public verification page;
    # one byte changed in the file makes the check fail with the reason.
    page.click("[data-testid=filed-receipt]")
    expect(page.locator("[data-testid=receipt-sha256]")).to_be_visible()
    with page.expect_download() as download_info:
        page.click("[data-testid=download-receipt-json]")
    receipt_path = tmp_path / "存证回执.json"
    download_info.value.save_as(receipt_path)
    receipt = json.loads(receipt_path.read_text(encoding="utf-8"))
    assert receipt["entry"]["sha256"] == hashlib.sha256(evidence.read_bytes()).hexdigest()
    page.goto(f"{base}/evidence/verify")
    page.set_input_files("[data-testid=verify-receipt]", str(receipt_path))
    page.set_input_files("[data-testid=verify-file]", str(evidence))
    page.click("[data-testid=verify-submit]")
    expect(page.locator("[data-testid=verify-ok]")).to_contain_text("验证通过")
    altered = bytearray(evidence.read_bytes())
    altered[len(altered) // 2] ^= 0x01
    altered_path = tmp_path / "储值卡截图-改.png"
    altered_path.write_bytes(bytes(altered))
    page.set_input_files("[data-testid=verify-receipt]", str(receipt_path))
    page.set_input_files("[data-testid=verify-file]", str(altered_path))
    page.click("[data-testid=verify-submit]")
    expect(page.locator("[data-testid=verify-failed]")).to_contain_text("验证未通过")
    expect(page.locator("[data-testid=verify-reason]")).to_contain_text("文件已被修改")
    _shot(page, "complaints-receipt-altered")
    page.goto(filed_url)
    expect(page.locator("[data-testid=filed-ok]")).to_be_visible()
    ticket_id = _query(db, "select id from complaints_ticket where ticket_no = ?", ticket_no)[0][0]

    # 2. An officer sees it triaged, with the reasons, and accepts it.
    _login(page, base, "officer")
    page.goto(f"{base}/complaints?q={ticket_no}")
    expect(page.locator("[data-testid=ticket-row]")).to_have_count(1)
    _shot(page, "complaints-list")
    page.click("[data-testid=ticket-link]")
    expect(page.locator("[data-testid=ticket-no]")).to_have_text(ticket_no)
    expect(page.locator("[data-testid=triage-category]")).to_contain_text("预付式消费")
    expect(page.locator("[data-testid=triage-reasons] [data-testid=triage-reason]").first).to_be_visible()
    link = _query(
        db, "select link_status, link_detail, triage_detail from complaints_ticket where id = ?", ticket_id
    )
    assert link[0][0] == "linked", link
    expect(page.locator("[data-testid=linked-entity]")).to_contain_text("璟乐川菜馆")
    expect(page.locator("[data-testid=routing-station]")).to_contain_text("卢沟桥市场监管所")
    expect(page.locator("[data-testid=routing-member-unit]")).to_contain_text("丰台区商务局")
    expect(page.locator("[data-testid=routing-reasons] li").first).to_be_visible()
    expect(page.locator("[data-testid=party-name]")).not_to_contain_text("赵虚构")  # masked
    expect(page.locator("[data-testid=evidence-link]")).to_have_count(1)
    _shot(page, "complaints-detail-triaged")
    page.click("[data-testid=reveal-pii]")
    expect(page.locator("[data-testid=party-name]")).to_have_text("赵虚构")
    page.goto(f"{base}/complaints/{ticket_id}")
    page.click("[data-testid=action-accept]")
    expect(page.locator(".flash.ok")).to_contain_text("已受理")
    expect(page.locator("[data-testid=ticket-status]")).to_have_text("受理")
    page.click("[data-testid=action-odr-notify]")
    expect(page.locator(".flash.ok")).to_contain_text("平台")
    _shot(page, "complaints-detail-accepted")

    # 3. The platform handler replies with a refund.
    _login(page, base, "platform_handler")
    page.goto(f"{base}/odr/{ticket_id}")
    page.select_option("[data-testid=odr-remedy]", "refund")
    page.fill("[data-testid=odr-amount]", "380")
    page.fill("[data-testid=odr-text-input]", "已联系商家，同意退还储值卡余额380元，原路退回。")
    page.click("[data-testid=odr-reply-submit]")
    link = page.locator("[data-testid=odr-link]").inner_text().strip()
    assert "/odr/decision/" in link
    link = base + link[link.index("/odr/decision/") :]

    # 4. The consumer opens the link (no login) and accepts.
    consumer = browser.new_context(locale="zh-CN", viewport={"width": 1360, "height": 900})
    try:
        cpage = consumer.new_page()
        cpage.goto(link)
        expect(cpage.locator("[data-testid=decision-remedy]")).to_contain_text("380")
        cpage.click("[data-testid=decision-accept]")
        expect(cpage.locator("[data-testid=decision-done]")).to_be_visible()
    finally:
        consumer.close()
    status, outcome, resolved = _query(
        db, "select status, outcome, resolved from complaints_ticket where id = ?", ticket_id
    )[0]
    assert (status, outcome, resolved) == ("closed", "settled", 1)

    # 5. A different officer records the callback.
    _login(page, base, "fengtai_officer")
    page.goto(f"{base}/complaints/{ticket_id}")
    expect(page.locator("[data-testid=ticket-status]")).to_have_text("办结")
    page.click("[data-testid=open-callback]")
    page.check("[data-testid=callback-resolved]")
    page.select_option("[data-testid=callback-satisfaction]", "satisfied")
    page.fill("[data-testid=callback-note]", "电话回访，消费者已收到退款，表示满意。")
    page.click("[data-testid=action-callback]")
    expect(page.locator(".flash.ok")).to_contain_text("回访已记录")
    expect(page.locator("[data-testid=ticket-satisfaction]")).to_have_text("满意")
    _shot(page, "complaints-detail-called-back")
    assert _query(db, "select satisfaction from complaints_callback where ticket_id = ?", ticket_id) == [
        ("satisfied",)
    ]

    # 6. The dashboard and the monthly workbook count it.
    _login(page, base, "officer")
    assert _volume(page, base, month) == volume_before + 1
    expect(page.locator("[data-testid=chart-trend] canvas")).to_have_count(1)
    expect(page.locator("[data-testid=formula-version]")).not_to_be_empty()
    _shot(page, "complaints-dashboard")
    page.screenshot(path=str(SHOTS / "complaints-dashboard-top.png"))  # the first screen, unscaled
    with page.expect_download() as download_info:
        page.click("[data-testid=download-workbook]")
    download = download_info.value
    assert download.suggested_filename == f"工作月报表-{month}.xlsx"
    workbook = load_workbook(io.BytesIO(Path(download.path()).read_bytes()))
    summary = workbook["汇总"]
    volumes = [row[1] for row in summary.iter_rows(values_only=True) if row[0] == "受理量（收到工单）"]
    assert volumes == [volume_before + 1]
    assert len(workbook.sheetnames) >= 3

    # Drill-down: the member-unit row of the dashboard lists the ticket.
    page.goto(f"{base}/complaints/dashboard?month={month}")
    member_row = page.locator(
        "[data-testid=table-member-unit] [data-testid=kpi-row]", has_text="丰台区商务局"
    )
    member_row.locator("[data-testid=drill-link]").click()
    expect(page.locator(f"[data-testid=ticket-row][data-ticket-id='{ticket_id}']")).to_have_count(1)
    assert re.search(r"member_unit=\d+", page.url)
