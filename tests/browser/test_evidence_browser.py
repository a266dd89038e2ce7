"""The evidence vault in real headless Chromium against a real server (demo data, process writer).

* a consumer attaches a screenshot to a complaint, downloads the receipt, and the public page
  verifies it — the file's SHA-256 is computed by the browser and the file is never uploaded;
  the same file with one byte changed fails with a clear message;
* the incremental SHA-256 used where WebCrypto is unavailable (plain-HTTP intranets) agrees with
  WebCrypto;
* a business registers a digest without uploading its file;
* an officer opens an item and sees its chain of custody.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

from playwright.sync_api import Page, Route, expect

from tianping.demo import DEMO_PASSWORD
from tianping.demo.evidence import product_page_screenshot

SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


def _shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _login(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", DEMO_PASSWORD)
    page.click("[data-testid=login-submit]")
    expect(page.locator(".who")).to_contain_text(username)


def _query(db: str, sql: str, *args: object) -> list[tuple]:  # type: ignore[type-arg]
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, args).fetchall()


def _posted_bodies(page: Page, path: str) -> list[bytes]:
    """The bodies of the form posts to ``path`` (Chromium reports a file part's headers, not its bytes)."""
    bodies: list[bytes] = []

    def record(route: Route) -> None:
        if route.request.method == "POST":
            bodies.append(route.request.post_data_buffer or b"")
        route.continue_()

    page.route(f"**{path}", record)
    return bodies


def test_consumer_attaches_a_screenshot_downloads_the_receipt_and_verifies_it(
    page: Page, live_server: dict[str, str], tmp_path: Path
) -> None:
    base = live_server["base_url"]
    screenshot = tmp_path / "商品页面截图.png"
    content = product_page_screenshot()
    screenshot.write_bytes(content)

    page.goto(f"{base}/evidence/submit")
    expect(page.locator("h1")).to_contain_text("提交电子证据")
    _shot(page, "evidence-submit")
    page.set_input_files("[data-testid=evidence-file]", str(screenshot))
    page.select_option("[data-testid=evidence-purpose]", "complaint")
    page.fill("[data-testid=evidence-ticket]", "TS-2025-000999")
    page.click("[data-testid=evidence-submit]")

    expect(page.locator("[data-testid=receipt-created]")).to_contain_text("存证成功")
    sha256 = hashlib.sha256(content).hexdigest()
    expect(page.locator("[data-testid=receipt-sha256]")).to_have_text(sha256)
    expect(page.locator("[data-testid=receipt-ticket]")).to_have_text("TS-2025-000999")
    expect(page.locator("[data-testid=receipt-qr] svg")).to_be_visible()
    _shot(page, "evidence-receipt")

    with page.expect_download() as download_info:
        page.click("[data-testid=download-receipt-json]")
    receipt_path = tmp_path / "回执.json"
    download_info.value.save_as(receipt_path)
    receipt = json.loads(receipt_path.read_text(encoding="utf-8"))
    assert receipt["format"] == "tianping-receipt/1" and receipt["entry"]["sha256"] == sha256
    assert receipt["entry"]["links"]["ticket"] == "TS-2025-000999"
    stored = _query(
        live_server["db"],
        "SELECT media_type, link_ticket FROM evidence_entry WHERE leaf_index = ?",
        receipt["leaf_index"],
    )
    assert stored == [("image/png", "TS-2025-000999")]

    # the public verification page: the file's digest is computed here, the file stays here
    bodies = _posted_bodies(page, "/evidence/verify")
    page.click("[data-testid=go-verify]")
    expect(page.locator("h1")).to_contain_text("核验存证回执")
    page.set_input_files("[data-testid=verify-receipt]", str(receipt_path))
    page.set_input_files("[data-testid=verify-file]", str(screenshot))
    page.click("[data-testid=verify-submit]")
    expect(page.locator("[data-testid=verify-ok]")).to_contain_text("验证通过")
    expect(page.locator("[data-testid=verify-mode]")).to_contain_text("文件未上传")
    expect(page.locator("[data-testid=check-file_sha256]")).to_have_attribute("data-status", "passed")
    _shot(page, "evidence-verify-ok")
    # what was posted: the receipt and the digest, no file part at all
    assert bodies and b'name="file_sha256"' in bodies[-1] and sha256.encode() in bodies[-1]
    assert b'name="file"' not in bodies[-1] and b'name="receipt"' in bodies[-1]

    altered_bytes = bytearray(content)
    altered_bytes[len(content) // 2] ^= 0x01  # one byte changed
    altered = tmp_path / "商品页面截图-改.png"
    altered.write_bytes(bytes(altered_bytes))
    page.set_input_files("[data-testid=verify-receipt]", str(receipt_path))
    page.set_input_files("[data-testid=verify-file]", str(altered))
    page.click("[data-testid=verify-submit]")
    expect(page.locator("[data-testid=verify-failed]")).to_contain_text("验证未通过")
    expect(page.locator("[data-testid=verify-reason]")).to_contain_text(
        "文件内容与存证记录的 SHA-256 摘要不一致：文件已被修改或不是原文件"
    )
    expect(page.locator("[data-testid=check-file_sha256]")).to_have_attribute("data-status", "failed")
    expect(page.locator("[data-testid=check-inclusion_proof]")).to_have_attribute("data-status", "passed")
    _shot(page, "evidence-verify-altered")

    # the receipt link without its token opens nothing
    page.goto(f"{base}/evidence/receipts/{receipt['leaf_index']}")
    expect(page.locator("h1")).to_contain_text("页面不存在")


def test_the_fallback_sha256_agrees_with_webcrypto(page: Page, live_server: dict[str, str]) -> None:
    page.goto(f"{live_server['base_url']}/evidence/verify")
    page.wait_for_function("() => globalThis.tianpingEvidence !== undefined")
    mismatches = page.evaluate(
        """async () => {
          const { sha256Hex, sha256File } = globalThis.tianpingEvidence;
          const hex = (b) => Array.from(new Uint8Array(b), (x) => x.toString(16).padStart(2, "0")).join("");
          const bad = [];
          for (const n of [0, 1, 55, 56, 63, 64, 65, 119, 120, 1000, 70000]) {
            const data = new Uint8Array(n);
            for (let i = 0; i < n; i++) data[i] = (i * 131 + n) & 0xff;
            const want = hex(await crypto.subtle.digest("SHA-256", data));
            if (sha256Hex(data) !== want) bad.push(`bytes ${n}`);
            const file = new File([data], "x.bin");
            if (await sha256File(file, () => {}, { allowSubtle: false }) !== want) bad.push(`file ${n}`);
          }
          if (sha256Hex(new TextEncoder().encode("abc")) !==
              "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad") bad.push("abc");
          return bad;
        }"""
    )
    assert mismatches == []


def test_business_registers_a_digest_without_uploading_the_file(
    page: Page, live_server: dict[str, str], tmp_path: Path
) -> None:
    base = live_server["base_url"]
    secret = tmp_path / "配方.txt"
    content = "虚构配方：面粉 500 克，随机标记 3f9a1c2e\n".encode()
    secret.write_bytes(content)
    _login(page, base, "platform_handler")
    page.goto(f"{base}/evidence/register-hash")
    expect(page.locator(".ev-lead")).to_contain_text("文件不会上传")
    bodies = _posted_bodies(page, "/evidence/register-hash")
    page.set_input_files("[data-testid=register-file]", str(secret))
    digest = hashlib.sha256(content).hexdigest()
    expect(page.locator("[data-testid=register-sha256]")).to_have_value(digest)
    page.fill("[data-testid=register-purpose]", "产品配方（商业秘密）")
    _shot(page, "evidence-register-hash")
    page.click("[data-testid=register-submit]")
    expect(page.locator("[data-testid=receipt-created]")).to_be_visible()
    expect(page.locator("[data-testid=receipt-sha256]")).to_have_text(digest)
    assert bodies and digest.encode() in bodies[-1] and b"filename=" not in bodies[-1]
    assert content not in bodies[-1]
    kinds = _query(live_server["db"], "SELECT kind, has_blob FROM evidence_entry WHERE sha256 = ?", digest)
    assert kinds == [("hash_registration", 0)]


def test_officer_sees_the_chain_of_custody(page: Page, live_server: dict[str, str]) -> None:
    base = live_server["base_url"]
    _login(page, base, "officer")
    page.click("nav.mainnav >> text=电子存证")
    expect(page.locator("h1")).to_contain_text("电子存证库")
    page.fill("[data-testid=filter-case]", "AJ-2025-0042")
    page.click("[data-testid=filter-submit]")
    rows = page.locator("[data-testid=evidence-row]")
    expect(rows.first).to_be_visible()
    _shot(page, "evidence-list")
    page.goto(f"{base}/evidence/0")  # the demo consumer's screenshot, attached to that case
    expect(page.locator("[data-testid=custody-table]")).to_contain_text("关联到案件/工单/事件")
    expect(page.locator("[data-testid=custody-row][data-action=view]").last).to_be_visible()
    _shot(page, "evidence-item")
